/**
 * The Redis (BullMQ) deployment: one API process and two worker processes sharing a real Redis at
 * REDIS_TEST_URL and a data dir. 20 jobs at once all complete; a worker killed with SIGKILL in the
 * middle of an encode loses nothing: another worker finishes the job on its second attempt.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService, type RunningService } from '../support/service';
import { WaitAborted, waitFor } from '../support/ports';
import { getJob, submitJob, tinyDeck, waitForStatus } from '../support/jobs';
import { ffmpegUnder } from './process-tree';

const redisUrl = process.env.REDIS_TEST_URL;

describe('API + two workers over Redis', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-scale-'));
  const env = {
    REDIS_URL: redisUrl,
    // A queue of our own, so other tests on the same Redis never see these jobs.
    RENDER_QUEUE_NAME: `scale-${randomUUID().slice(0, 8)}`,
    RENDER_BACKOFF_MS: '200',
    RENDER_CONCURRENCY: '1',
    RENDER_HEARTBEAT_MS: '1000',
  };
  let api: RunningService | undefined;
  const workers: RunningService[] = [];
  const orphans: number[] = [];

  beforeAll(async () => {
    assert.ok(redisUrl, 'REDIS_TEST_URL is not set: run through scripts/with-redis.sh (make test does)');
    api = await startService({ entry: 'services/api/main.ts', dataDir, env });
    for (let i = 0; i < 2; i++) workers.push(await startService({ entry: 'services/worker/main.ts', dataDir, env }));
  });
  afterAll(async () => {
    await Promise.all([...workers.map((w) => w.stop()), api?.stop()]);
    // ffmpeg children of the SIGKILLed worker were reparented; make sure none survives the test.
    for (const pid of orphans) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('20 jobs submitted at once all complete', { timeout: 180_000 }, async () => {
    const jobs = await Promise.all(Array.from({ length: 20 }, (_, i) => submitJob(api!.url, tinyDeck(`scale ${i}`))));
    assert.equal(new Set(jobs.map((j) => j.id)).size, 20);
    const done = await Promise.all(jobs.map((j) => waitForStatus(api!.url, j.id, ['completed', 'failed'], 170_000)));
    for (const j of done) assert.equal(j.status, 'completed', `${j.id}: ${JSON.stringify(j.error)}`);
    const video = await fetch(`${api!.url}/api/jobs/${done[19].id}/output`);
    assert.equal(video.status, 200);
    assert.ok((await video.arrayBuffer()).byteLength > 0);
    const ready = await fetch(`${api!.url}/readyz`);
    assert.equal(ready.status, 200);
  });

  test('kill -9 of the worker encoding a job: another worker completes it on attempt 2', { timeout: 120_000 }, async () => {
    const deck = {
      title: 'long job',
      slides: Array.from({ length: 3 }, (_, i) => ({ title: `Slide ${i}`, content: 'long', duration: 40, transition: 'none' })),
      config: { width: 640, height: 360, fps: 25, quality: 'low' },
    };
    const job = await submitJob(api!.url, deck);
    let victim: RunningService | undefined;
    await waitFor(
      'a worker to be encoding the long job',
      async () => {
        const j = await getJob(api!.url, job.id);
        if (j.status === 'completed' || j.status === 'failed')
          throw new WaitAborted(`job ended ${j.status} before it could be interrupted`);
        // Only this job is in flight, so the worker with an ffmpeg child is the one encoding it.
        victim = workers.find((w) => ffmpegUnder(w.child.pid!).length > 0);
        return j.stage === 'encode' && victim !== undefined;
      },
      60_000,
      100,
    );
    orphans.push(...ffmpegUnder(victim!.child.pid!));
    victim!.child.kill('SIGKILL');
    assert.equal(await victim!.stop(), null);
    const done = await waitForStatus(api!.url, job.id, ['completed', 'failed'], 100_000);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    assert.equal(done.attempts, 2);
    assert.equal(
      done.output?.durationSeconds !== undefined && Math.abs(done.output.durationSeconds - 120) <= 0.25,
      true,
      JSON.stringify(done.output),
    );
  });
});
