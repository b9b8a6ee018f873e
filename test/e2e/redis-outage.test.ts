/**
 * A Redis outage in the middle of a run, on the scale-out path: API and worker on a private Redis
 * with AOF, 6 jobs submitted, Redis shut down (SHUTDOWN) for 10 s, then started again on the same
 * data. While it is down the API answers 503 QUEUE_UNAVAILABLE promptly and is not ready but alive;
 * afterwards every job completes exactly once, the worker never exited, and it counted 6 completions.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService, type RunningService } from '../support/service';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis';
import { submitJob, tinyDeck, waitForStatus } from '../support/jobs';

/** The scenario's outage length (not a wait for an event: it is what is being survived). */
const OUTAGE_MS = 10_000;

/** `render_jobs_total{status="completed"}` of one worker's `/metrics`. */
async function completedCount(worker: RunningService): Promise<number> {
  const metrics = await (await fetch(`${worker.url}/metrics`)).text();
  return Number(/^render_jobs_total\{status="completed"[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0);
}

describe('Redis shut down and restarted mid-run', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-outage-'));
  let redis: PrivateRedis;

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await redis?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // One worker: the acceptance scenario. Two: every job still completes exactly once across them.
  for (const workerCount of [1, 2]) {
    test(`API + ${workerCount} worker(s), 6 jobs, a 10 s outage: 503 while down, all completed once after`, async () => {
      const env = {
        REDIS_URL: redis.url,
        RENDER_QUEUE_NAME: `outage-${workerCount}`,
        RENDER_BACKOFF_MS: '500',
        RENDER_HEARTBEAT_MS: '1000',
      };
      const api = await startService({ entry: 'services/api/main.ts', dataDir, env });
      const workers: RunningService[] = [];
      try {
        for (let i = 0; i < workerCount; i++) workers.push(await startService({ entry: 'services/worker/main.ts', dataDir, env }));
        const jobs = await Promise.all(Array.from({ length: 6 }, (_, i) => submitJob(api.url, tinyDeck(`outage ${i}`, 2, 2))));
        await redis.shutdown();
        const downSince = Date.now();

        // Bounded waits are the behaviour under test: each answer must come within 2 s.
        const post = await fetch(`${api.url}/api/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(tinyDeck('while down')),
          signal: AbortSignal.timeout(2000),
        });
        assert.equal(post.status, 503);
        assert.equal(((await post.json()) as { error: { code: string } }).error.code, 'QUEUE_UNAVAILABLE');
        const read = await fetch(`${api.url}/api/jobs/${jobs[0]!.id}`, { signal: AbortSignal.timeout(2000) });
        assert.equal(read.status, 503);
        assert.equal((await fetch(`${api.url}/readyz`, { signal: AbortSignal.timeout(2000) })).status, 503);
        assert.equal((await fetch(`${api.url}/healthz`, { signal: AbortSignal.timeout(2000) })).status, 200);

        await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - downSince))));
        for (const w of workers) assert.equal(w.child.exitCode, null, 'the workers ride out the outage');
        await redis.start();

        const done = await Promise.all(jobs.map((j) => waitForStatus(api.url, j.id, ['completed', 'failed', 'cancelled'], 180_000)));
        for (const j of done) assert.equal(j.status, 'completed', `${j.id}: ${JSON.stringify(j.error)}`);
        for (const w of workers) assert.equal(w.child.exitCode, null, 'the workers are still running');
        const counts = await Promise.all(workers.map(completedCount));
        assert.equal(
          counts.reduce((a, b) => a + b, 0),
          6,
          `completions counted once in total: ${counts.join(' + ')}`,
        );
      } finally {
        await Promise.all([...workers.map((w) => w.stop()), api.stop()]);
      }
    });
  }

  test('a worker started while Redis is down waits, then connects and works once Redis is back', async () => {
    const env: Record<string, string> = { REDIS_URL: redis.url, RENDER_HEARTBEAT_MS: '1000', RENDER_QUEUE_NAME: 'late-worker' };
    await redis.shutdown();
    // Started means listening: its /healthz answers (503: no heartbeat reaches Redis yet).
    const late = await startService({ entry: 'services/worker/main.ts', dataDir, env, startedWhen: (r) => r.status === 503 });
    let lateApi: RunningService | undefined;
    try {
      // Longer than the 5 s a start-up subscribe used to wait before giving up and exiting.
      await new Promise((r) => setTimeout(r, 6000));
      assert.equal(late.child.exitCode, null, `the worker waits instead of exiting:\n${late.output()}`);
      assert.match(late.output(), /Redis unreachable; reconnecting with backoff/, 'the outage is logged, not swallowed');
      await redis.start();
      lateApi = await startService({ entry: 'services/api/main.ts', dataDir, env });
      const job = await submitJob(lateApi.url, tinyDeck('after the outage', 1, 1));
      const done = await waitForStatus(lateApi.url, job.id, ['completed', 'failed'], 120_000);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      assert.equal((await fetch(`${late.url}/healthz`)).status, 200);
    } finally {
      await Promise.all([late.stop(), lateApi?.stop()]);
    }
  });
});
