/**
 * One job across many workers (Redis layout): an API and two workers share a real Redis and a data
 * dir (the piece cache); a deck at the split threshold is handed out as chunks. Both workers run
 * chunks of the one job (their spans are in the job's trace), the job completes once with one
 * attempt, and its video has the frames of a cold single-process render of the same deck. A worker
 * killed with SIGKILL in the middle of a chunk loses only that chunk: the job completes once, on its
 * first attempt, with the same frames.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { receivedSpans, spanAttribute, startOtlpSink, type OtlpSink } from '../support/otlp-receiver';
import { submitJob, waitForStatus } from '../support/jobs';
import { waitFor } from '../support/ports';
import { startService, type RunningService } from '../support/service';
import { descendants, ffmpegUnder } from './process-tree';

const redisUrl = process.env.REDIS_TEST_URL;

/** 8 slides, 4 chunks of 2: fades inside a chunk and across chunks, narration on some slides. */
const deck = {
  title: 'split deck',
  slides: Array.from({ length: 8 }, (_, i) => ({
    title: `Slide ${i + 1}`,
    content: `part ${i + 1} of the split deck`,
    duration: 2,
    transition: i % 3 === 0 ? 'none' : 'fade',
    ...(i % 2 === 0 ? { narration: `slide ${i + 1}` } : {}),
  })),
  config: { width: 320, height: 240, fps: 12, quality: 'low', voice: 'en-us' },
};

/** 12 larger slides (6 chunks), so a chunk's encode lasts long enough to be interrupted; `tag` keeps each test's pieces its own. */
const longDeck = (tag: string) => ({
  title: `split deck, ${tag}`,
  slides: Array.from({ length: 12 }, (_, i) => ({
    title: `Slide ${i + 1}`,
    content: `part ${i + 1}, ${tag}`,
    duration: 2,
    transition: i % 2 === 0 ? 'fade' : 'none',
  })),
  config: { width: 1280, height: 720, fps: 25, quality: 'high' },
});

describe('a deck split across two workers over Redis', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-split-'));
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-split-videos-'));
  let sink: OtlpSink;
  let api: RunningService | undefined;
  let reference: RunningService | undefined;
  const workers: RunningService[] = [];
  const orphans: number[] = [];

  beforeAll(async () => {
    assert.ok(redisUrl, 'REDIS_TEST_URL is not set: run through scripts/with-redis.sh (make test does)');
    sink = await startOtlpSink(true);
    const env = {
      REDIS_URL: redisUrl,
      RENDER_QUEUE_NAME: `split-${randomUUID().slice(0, 8)}`,
      RENDER_CONCURRENCY: '1',
      RENDER_ENCODE_PARALLELISM: '1',
      RENDER_HEARTBEAT_MS: '1000',
      RENDER_SPLIT_MIN_SLIDES: '4',
      RENDER_SPLIT_CHUNK_SLIDES: '2',
      // The kill test reads the workers' info lines (the split, each chunk, the completion).
      LOG_LEVEL: 'info',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    api = await startService({ entry: 'services/api/main.ts', dataDir, env, telemetry: true });
    for (let i = 0; i < 2; i++) workers.push(await startService({ entry: 'services/worker/main.ts', dataDir, env, telemetry: true }));
    // The reference: one process, no Redis, no piece cache (every piece encoded there, cold).
    reference = await startService({ env: { RENDER_PIECE_CACHE_BYTES: '0' }, telemetry: false });
  }, 180_000);
  afterAll(async () => {
    await Promise.all([...workers.map((w) => w.stop()), api?.stop(), reference?.stop()]);
    // ffmpeg children of the SIGKILLed worker were reparented; none may outlive the test.
    for (const pid of orphans) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    reference?.cleanup();
    await sink?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  async function frames(baseUrl: string, id: string): Promise<string> {
    const file = path.join(scratch, `${id}.mp4`);
    writeFileSync(file, Buffer.from(await (await fetch(`${baseUrl}/api/jobs/${id}/output`)).arrayBuffer()));
    return execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'framemd5', '-'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
  }

  test('both workers run chunks of the one job, in its trace; the video matches a single-process render frame for frame', {
    timeout: 240_000,
  }, async () => {
    const submitted = await submitJob(api!.url, deck);
    const single = await submitJob(reference!.url, deck);
    const done = await waitForStatus(api!.url, submitted.id, ['completed', 'failed', 'cancelled'], 200_000);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    assert.equal(done.attempts, 1, 'the chunks and the join are one attempt');
    const traceId = String(done.traceId);
    const chunkSpans = () => receivedSpans(sink).filter((s) => s.name === 'render chunk' && s.traceId === traceId);
    const joined = () => receivedSpans(sink).find((s) => s.name === 'ffmpeg encode' && s.traceId === traceId);
    await waitFor('the chunk spans and the join', () => chunkSpans().length >= 4 && joined() !== undefined, 20_000);
    const firsts = chunkSpans().map((s) => Number(spanAttribute(s, 'render.chunk.first_slide')));
    assert.deepEqual(
      [...new Set(firsts)].sort((a, b) => a - b),
      [0, 2, 4, 6],
      'one chunk per two slides',
    );
    // A double attribute (spanAttribute reads strings and ints).
    const waited = (span: ReturnType<typeof chunkSpans>[number]) =>
      span.attributes.find((a) => a.key === 'render.chunk.queue_wait_seconds')?.value.doubleValue;
    for (const span of chunkSpans()) assert.ok(Number(waited(span)) >= 0, 'each chunk says how long it waited');
    const ranBy = new Set(chunkSpans().map((s) => String(spanAttribute(s, 'render.chunk.worker'))));
    const pids = workers.map((w) => `:${w.child.pid}`);
    assert.equal(ranBy.size, 2, `chunks ran on ${[...ranBy].join(', ')}`);
    for (const pid of pids)
      assert.ok(
        [...ranBy].some((w) => w.endsWith(pid)),
        `worker ${pid} ran a chunk`,
      );
    // The join found every piece the chunks made (transitions across two chunks included): no encoder run is left to it.
    const encode = joined()!;
    const total = Number(spanAttribute(encode, 'render.pieces.total'));
    assert.ok(total > 0);
    assert.equal(spanAttribute(encode, 'render.pieces.reused'), total);
    assert.equal(spanAttribute(encode, 'render.pieces.encoder_runs'), 0);

    const cold = await waitForStatus(reference!.url, single.id, ['completed', 'failed'], 120_000);
    assert.equal(cold.status, 'completed', JSON.stringify(cold.error));
    assert.equal(await frames(api!.url, done.id), await frames(reference!.url, cold.id));
  });

  test('cancel while the chunks run: the job is cancelled, its chunks stop, the workers go on', { timeout: 120_000 }, async () => {
    const submitted = await submitJob(api!.url, longDeck('cancelled'));
    const linesOf = (msg: string) =>
      workers.flatMap((w) => w.output().split('\n')).filter((line) => line.includes(submitted.id) && line.includes(`"msg":"${msg}"`))
        .length;
    await waitFor('the deck split into chunks', () => linesOf('deck split into chunks') === 1, 60_000, 20);
    const cancel = await fetch(`${api!.url}/api/jobs/${submitted.id}`, { method: 'DELETE' });
    assert.equal(cancel.status, 200, await cancel.text());
    const done = await waitForStatus(api!.url, submitted.id, ['cancelled', 'completed', 'failed'], 30_000);
    assert.equal(done.status, 'cancelled');
    // Chunks not yet taken are gone and running ones abort: the workers soon run no FFmpeg, and far fewer than 6 chunks finished.
    await waitFor('no chunk still encoding', () => workers.every((w) => ffmpegUnder(w.child.pid!).length === 0), 20_000, 50);
    const encoded = linesOf('chunk encoded');
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(linesOf('chunk encoded'), encoded, 'no chunk of the cancelled job runs afterwards');
    assert.ok(encoded < 6, `${encoded} of 6 chunks encoded before the cancel took effect`);
    assert.equal((await waitForStatus(api!.url, submitted.id, ['cancelled'], 1000)).status, 'cancelled');
  });

  test('kill -9 of a worker in the middle of a chunk: the job still completes once, on attempt 1, with the same frames', {
    timeout: 240_000,
  }, async () => {
    // Slide 3 has an image that only the job's first run and the chunk of slides 2–3 fetch (chunk 0's
    // borrowed slide is 2, chunk 4's own are 4–5). Its second request, the chunk's, is held: the worker
    // making it is in the middle of that chunk, found by the connection's owner, and killed there. Polling
    // for an FFmpeg under a worker instead raced the chunks on a quiet machine (they were all done first).
    const image = path.join(scratch, 'slide-3.png');
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=steelblue:s=160x120', '-frames:v', '1', '-y', image]);
    const png = readFileSync(image);
    let heldRequests = 0;
    let chunkFetch: (port: number) => void = () => undefined;
    const chunkFetched = new Promise<number>((resolve) => {
      chunkFetch = resolve;
    });
    const held: http.ServerResponse[] = [];
    const assets = http.createServer((req, res) => {
      // Only the split job's URL is counted and held; the reference render reads the same bytes elsewhere.
      if (req.url === '/held.png' && ++heldRequests === 2) {
        held.push(res);
        return chunkFetch(req.socket.remotePort!);
      }
      res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    });
    await new Promise<void>((r) => assets.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(assets.address() as AddressInfo).port}`;
    const withImage = (url: string) => {
      const d = longDeck('killed worker');
      d.slides[3] = { ...d.slides[3]!, imageUrl: url } as (typeof d.slides)[number];
      return d;
    };
    try {
      const submitted = await submitJob(api!.url, withImage(`${base}/held.png`));
      const single = await submitJob(reference!.url, withImage(`${base}/reference.png`));
      const port = await Promise.race([
        chunkFetched,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no chunk fetched slide 3 within 120 s')), 120_000)),
      ]);
      // The worker process that owns the client end of that connection.
      const owner = Number(
        /pid=(\d+)/.exec(execFileSync('ss', ['-tnpH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' }))?.[1],
      );
      const victim = workers.find((w) => w.child.pid === owner || descendants(w.child.pid!).some((d) => d.pid === owner));
      assert.ok(victim, `the connection on port ${port} belongs to pid ${owner}, which is no worker's`);
      orphans.push(...ffmpegUnder(victim.child.pid!));
      victim.child.kill('SIGKILL');
      assert.equal(await victim.stop(), null);
      for (const res of held) res.destroy();
      const done = await waitForStatus(api!.url, submitted.id, ['completed', 'failed', 'cancelled'], 180_000);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      assert.equal(done.attempts, 1, 'only the chunk was lost, not the attempt');
      const completions = workers
        .flatMap((w) => w.output().split('\n'))
        .filter((line) => line.includes(done.id) && line.includes('"transition":"complete"'));
      assert.equal(completions.length, 1, 'completed once');
      // The chunk the victim was in ran again on the survivor: every chunk was encoded by someone.
      const encodedChunks = workers
        .flatMap((w) => w.output().split('\n'))
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg?: string; job_id?: string; chunk_first_slide?: number })
        .filter((entry) => entry.msg === 'chunk encoded' && entry.job_id === done.id)
        .map((entry) => Number(entry.chunk_first_slide));
      assert.deepEqual(
        [...new Set(encodedChunks)].sort((a, b) => a - b),
        [0, 2, 4, 6, 8, 10],
      );
      const cold = await waitForStatus(reference!.url, single.id, ['completed', 'failed'], 120_000);
      assert.equal(cold.status, 'completed', JSON.stringify(cold.error));
      assert.equal(await frames(api!.url, done.id), await frames(reference!.url, cold.id));
    } finally {
      for (const res of held) res.destroy();
      assets.closeAllConnections();
      await new Promise<void>((r) => assets.close(() => r()));
    }
  });
});
