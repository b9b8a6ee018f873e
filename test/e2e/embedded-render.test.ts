/**
 * The embedded single process (`services/main.ts`) as users run it: real SQLite, real espeak-ng and
 * FFmpeg, over real HTTP. Covers a narrated render, restart durability, network-failure retries
 * and cancellation during encode.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService, TELEMETRY_BY_DEFAULT, type RunningService } from '../support/service';
import { freePort, WaitAborted, waitFor } from '../support/ports';
import { FINAL_STATUSES, type JobStatus } from '../../services/shared/job';
import { submitJob, getJob, waitForStatus } from '../support/jobs';
import { ffmpegUnder, probe } from './process-tree';

const ENV: Record<string, string> = { RENDER_BACKOFF_MS: '200', RENDER_MAX_ATTEMPTS: '3' };

describe('embedded single process', { timeout: 240_000 }, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-e2e-'));
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-e2e-out-'));
  let svc: RunningService | undefined;
  let completedId = '';
  let completedBytes = 0;

  beforeAll(async () => {
    // Spans are exported to a closed loopback port: tracing is on, and a dead collector must not break renders.
    ENV.OTEL_TRACES_EXPORTER = 'otlp';
    ENV.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${await freePort()}`;
    svc = await startService({ dataDir, env: ENV });
  });
  afterAll(async () => {
    await svc?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  test('a 3-slide 1280x720 deck with narration renders to H.264/AAC of the right size and length', { timeout: 120_000 }, async () => {
    const slides = [
      { title: 'Intro', content: 'Hello', duration: 1.5, transition: 'none' },
      { title: 'Narrated', content: 'Spoken slide', narration: 'Olá.', duration: 2, transition: 'fade' },
      { title: 'End', content: 'Bye', duration: 1.5, transition: 'none' },
    ];
    const job = await submitJob(svc!.url, {
      title: 'e2e narrated',
      slides,
      config: { width: 1280, height: 720, fps: 24, quality: 'low', voice: 'pt-br' },
    });
    assert.match(job.id, /^[0-9a-f-]{36}$/);
    // Telemetry is on: the job carries the id of the trace its enqueue started.
    if (TELEMETRY_BY_DEFAULT) assert.match(job.traceId ?? '', /^[0-9a-f]{32}$/);
    else assert.equal(job.traceId, null, 'OTEL_SDK_DISABLED=true: no trace at all');
    const done = await waitForStatus(svc!.url, job.id, ['completed', 'failed'], 110_000);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    const res = await fetch(`${svc!.url}/api/jobs/${job.id}/output`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'video/mp4');
    assert.match(res.headers.get('content-disposition') ?? '', new RegExp(`^attachment; filename="?${job.id}\\.mp4"?$`));
    const bytes = Buffer.from(await res.arrayBuffer());
    const file = path.join(scratch, 'narrated.mp4');
    writeFileSync(file, bytes);
    const info = probe(file);
    assert.deepEqual(info.video, { codec: 'h264', width: 1280, height: 720 });
    assert.deepEqual(info.audio, { codec: 'aac' });
    const expected = slides.reduce((s, x) => s + x.duration, 0);
    assert.ok(Math.abs(info.durationSeconds - expected) <= 0.25, `duration ${info.durationSeconds} vs ${expected}`);
    assert.equal(done.output?.bytes, bytes.length);

    const partial = await fetch(`${svc!.url}/api/jobs/${job.id}/output`, { headers: { range: 'bytes=0-99' } });
    assert.equal(partial.status, 206);
    assert.equal(partial.headers.get('content-range'), `bytes 0-99/${bytes.length}`);
    assert.deepEqual(Buffer.from(await partial.arrayBuffer()), bytes.subarray(0, 100));
    const outside = await fetch(`${svc!.url}/api/jobs/${job.id}/output`, { headers: { range: `bytes=${bytes.length + 10}-` } });
    assert.equal(outside.status, 416);
    completedId = job.id;
    completedBytes = bytes.length;
  });

  test('after SIGTERM and a restart on the same data dir, the job and its video are still there', { timeout: 60_000 }, async () => {
    assert.ok(completedId, 'needs the completed job of the previous test');
    assert.equal(await svc!.stop(), 0);
    svc = await startService({ dataDir, env: ENV });
    const job = await getJob(svc.url, completedId);
    assert.equal(job.status, 'completed');
    const res = await fetch(`${svc.url}/api/jobs/${completedId}/output`);
    assert.equal(res.status, 200);
    assert.equal((await res.arrayBuffer()).byteLength, completedBytes);
  });

  test('an audio URL at a closed local port fails with category network after 3 attempts', { timeout: 60_000 }, async () => {
    const closedPort = await freePort();
    const deck = {
      title: 'unreachable audio',
      slides: [{ title: 'x', duration: 1, transition: 'none', audioUrl: `http://127.0.0.1:${closedPort}/a.mp3` }],
      config: { width: 160, height: 120, fps: 10, quality: 'low' },
    };
    const job = await submitJob(svc!.url, deck);
    const done = await waitForStatus(svc!.url, job.id, ['completed', 'failed'], 50_000);
    assert.equal(done.status, 'failed');
    assert.equal(done.error?.category, 'network');
    assert.equal(done.attempts, 3);
  });

  test('a job cancelled during encode ends cancelled and leaves no ffmpeg behind', { timeout: 90_000 }, async () => {
    const deck = {
      title: 'long encode',
      slides: [{ title: 'long', content: 'a long slide', duration: 600, transition: 'none' }],
      config: { width: 1920, height: 1080, fps: 30, quality: 'high' },
    };
    const job = await submitJob(svc!.url, deck);
    const pid = svc!.child.pid!;
    await waitFor(
      'the job to reach encode with ffmpeg running',
      async () => {
        const j = await getJob(svc!.url, job.id);
        if (j.status !== 'processing' && j.status !== 'queued') {
          // A final status: what is waited for can no longer happen. `retrying`: not yet.
          if (FINAL_STATUSES.includes(j.status as JobStatus)) throw new WaitAborted(`job ended ${j.status}`);
          return false;
        }
        return j.stage === 'encode' && ffmpegUnder(pid).length > 0;
      },
      60_000,
      100,
    );
    const res = await fetch(`${svc!.url}/api/jobs/${job.id}`, { method: 'DELETE' });
    assert.equal(res.status, 200);
    const final = await waitForStatus(svc!.url, job.id, ['cancelled', 'completed', 'failed'], 10_000);
    assert.equal(final.status, 'cancelled');
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(ffmpegUnder(pid), []);
    // Still cancelled once the worker has reacted: a late worker write must not overwrite it.
    assert.equal((await getJob(svc!.url, job.id)).status, 'cancelled');
  });
});
