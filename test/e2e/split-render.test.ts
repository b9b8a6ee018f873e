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
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { receivedSpans, spanAttribute, startOtlpSink, type OtlpSink } from '../support/otlp-receiver';
import { submitJob, waitForStatus } from '../support/jobs';
import { waitFor } from '../support/ports';
import { startService, type RunningService } from '../support/service';
import { ffmpegUnder } from './process-tree';

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
    const submitted = await submitJob(api!.url, longDeck('killed worker'));
    const single = await submitJob(reference!.url, longDeck('killed worker'));
    const chunksDone = () => workers.reduce((n, w) => n + (w.output().match(/chunk encoded/g)?.length ?? 0), 0);
    const before = chunksDone();
    const splitLines = () => workers.reduce((n, w) => n + (w.output().match(/deck split into chunks/g)?.length ?? 0), 0);
    const splitsBefore = splitLines();
    let victim: RunningService | undefined;
    await waitFor(
      'a worker in the middle of a chunk',
      async () => {
        if (chunksDone() - before >= 4) throw new Error('the chunks ran out before one could be interrupted');
        // The job's own run stops once it has split the deck: until every chunk is done, an ffmpeg under a worker is a chunk's.
        victim = splitLines() > splitsBefore ? workers.find((w) => ffmpegUnder(w.child.pid!).length > 0) : undefined;
        return victim !== undefined;
      },
      90_000,
      20,
    );
    orphans.push(...ffmpegUnder(victim!.child.pid!));
    victim!.child.kill('SIGKILL');
    assert.equal(await victim!.stop(), null);
    const done = await waitForStatus(api!.url, submitted.id, ['completed', 'failed', 'cancelled'], 180_000);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    assert.equal(done.attempts, 1, 'only the chunk was lost, not the attempt');
    const completions = workers
      .flatMap((w) => w.output().split('\n'))
      .filter((line) => line.includes(done.id) && line.includes('"transition":"complete"'));
    assert.equal(completions.length, 1, 'completed once');
    // The chunk the victim was encoding ran again on the survivor: every chunk was encoded by someone.
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
  });
});
