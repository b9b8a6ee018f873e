/**
 * A split attempt through the runner and the chunk runner, in one process over a backend that says
 * it splits: the attempt stops after tts with its chunks, each chunk puts its slides' pieces in the
 * cache without touching the record (every piece but the audio track between them), and the resumed run is the same attempt (no second start, one
 * `render.started`), joins the cached pieces and completes. A chunk of another attempt does nothing.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { startJobs } from '../jobs';
import { createEmbeddedBackend } from '../queue/embedded';
import type { QueueBackend } from '../queue/contract';
import { newJobRecord } from '../shared/job';
import { createLocalStorage } from '../storage/local';
import { deck, quietLogger, serveHttp, testConfig } from '../../test/support/worker';
import { createChunkHandler } from './chunk';
import { createJobHandler } from './runner';

test('a split attempt: chunks fill the piece cache, the same attempt resumes and completes, one started event', {
  timeout: 90_000,
}, async () => {
  const events: string[] = [];
  const hook = await serveHttp((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      events.push((JSON.parse(body) as { event: string }).event);
      res.end();
    });
  });
  const { config, cleanup } = testConfig({ RENDER_SPLIT_MIN_SLIDES: '3', RENDER_SPLIT_CHUNK_SLIDES: '2', WEBHOOK_SECRET: 'shh' });
  const backend = await createEmbeddedBackend(config, quietLogger);
  const deliveries: Promise<boolean>[] = [];
  const jobs = startJobs({ backend, config, logger: quietLogger, webhook: { baseDelayMs: 10 }, onEvent: (d) => deliveries.push(d) });
  try {
    // The embedded backend as one that splits (the BullMQ adapter's part is services/queue/bullmq.test.ts).
    const splitting = Object.create(backend, { splits: { value: true } }) as QueueBackend;
    const storage = createLocalStorage(config.outputDir);
    const handler = createJobHandler({ backend: splitting, config, logger: quietLogger, storage, lifecycle: jobs.lifecycle });
    const chunkHandler = createChunkHandler({ backend: splitting, config, logger: quietLogger, storage });
    const id = randomUUID();
    const slides = Array.from({ length: 4 }, (_, i) => ({
      title: `slide ${i}`,
      duration: 1,
      transition: 'fade',
      ...(i === 1 ? { narration: 'spoken in a chunk' } : {}),
    }));
    await backend.store.create(newJobRecord(id, deck({ webhookUrl: `${hook.url}/hook`, slides }), 2));
    const signal = new AbortController().signal;
    const entry = { id, attempt: 1, carrier: {}, enqueuedAt: Date.now(), generation: 0 };

    const first = await handler(entry, signal);
    assert.equal(first.kind, 'split');
    if (first.kind !== 'split') return;
    assert.deepEqual(
      first.chunks.map((c) => [c.first, c.count, c.seconds.length]),
      [
        [0, 2, 4],
        [2, 2, 4],
      ],
    );
    const waiting = await backend.store.get(id);
    assert.equal(waiting?.status, 'processing');
    assert.equal(waiting?.stage, 'encode');
    assert.equal(waiting?.attemptId, first.attemptId);

    const pieces = () =>
      (readdirSync(path.join(config.outputDir, 'pieces'), { recursive: true }) as string[]).filter((f) =>
        /\.(static|still|fade|audio)$/.test(f),
      );
    const before = pieces().length;
    await chunkHandler({ ...first.chunks[0], id, generation: 0, attemptId: 'another attempt' }, signal);
    assert.equal(pieces().length, before, 'a chunk of another attempt encodes nothing');
    for (const chunk of first.chunks) await chunkHandler({ ...chunk, id, generation: 0, attemptId: first.attemptId }, signal);
    // 4 static pieces, 4 stills, 2 WAVs (the three silent ones are one piece), and all 5 fades: fade-in of 0,
    // transitions 0→1, 1→2 (made by the first chunk, which draws slide 2's still too) and 2→3, fade-out of 3.
    assert.equal(pieces().length - before, 15);
    const unchanged = await backend.store.get(id);
    assert.deepEqual(
      [unchanged?.status, unchanged?.attempts, unchanged?.attemptId],
      ['processing', 1, first.attemptId],
      'chunks never write the record',
    );

    const second = await handler({ ...entry, resumedAttempt: first.attemptId }, signal);
    assert.equal(second.kind, 'completed');
    const done = await backend.store.get(id);
    assert.equal(done?.status, 'completed', JSON.stringify(done?.error));
    assert.equal(done?.attempts, 1);
    const deadline = Date.now() + 10_000;
    while (!events.includes('render.completed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(events.sort(), ['render.completed', 'render.started']);
  } finally {
    await Promise.all(deliveries);
    await jobs.close();
    await backend.close();
    await hook.close();
    cleanup();
  }
});
