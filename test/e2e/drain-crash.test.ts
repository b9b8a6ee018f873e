/**
 * Nothing lost, nothing wedged, on the embedded default as users run it (real SQLite, FFmpeg, HTTP):
 * SIGTERM mid-encode drains, a drain deadline hands the job back unconsumed, kill -9 mid-encode
 * resumes (and the killed process's FFmpeg is gone), a job that kills its process every time fails
 * with WORKER_LOST after maxAttempts, and cancel-then-retry at once runs the job again.
 */
import { describe, test } from 'vitest';
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService, type RunningService } from '../support/service';
import { WaitAborted, waitFor } from '../support/ports';
import { FINAL_STATUSES, type JobStatus } from '../../services/shared/job';
import { getJob, submitJob, waitForStatus, type ApiJob } from '../support/jobs';
import { alive, storedRecord } from '../support/records';
import { ffmpegUnder } from './process-tree';
import { WORKER_LOST_LINE } from '../../services/worker/runner';

/** The JSON lines a service wrote saying it found `jobId`'s previous attempt dead. */
function workerLostLines(svc: RunningService, jobId: string): Record<string, unknown>[] {
  return svc
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes(WORKER_LOST_LINE))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.job_id === jobId && l.level === 40);
}

/** Long enough to still be encoding when the test acts, short enough to finish in a test. */
const mediumDeck = (title: string) => ({
  title,
  slides: [{ title: 'encode', content: 'several seconds of encode', duration: 20, transition: 'none' }],
  config: { width: 640, height: 360, fps: 25, quality: 'high' },
});
/** Never finishes within a test. */
const endlessDeck = {
  title: 'endless',
  slides: [{ title: 'long', content: 'a long slide', duration: 600, transition: 'none' }],
  config: { width: 1920, height: 1080, fps: 30, quality: 'high' },
};

/** Waits until `id` is encoding with FFmpeg running under the service; returns those FFmpeg pids. */
async function encoding(svc: RunningService, id: string): Promise<number[]> {
  let pids: number[] = [];
  await waitFor(
    `job ${id} encoding`,
    async () => {
      const j = await getJob(svc.url, id);
      if (j.status !== 'processing' && j.status !== 'queued') {
        // A final status: what is waited for can no longer happen. `retrying`: not yet.
        if (FINAL_STATUSES.includes(j.status as JobStatus)) throw new WaitAborted(`job ended ${j.status}`);
        return false;
      }
      pids = ffmpegUnder(svc.child.pid!);
      return j.stage === 'encode' && pids.length > 0;
    },
    60_000,
    50,
  );
  return pids;
}

async function withDataDir(fn: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-drain-'));
  try {
    await fn(dataDir);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('drain, crash recovery and cancel/retry on the embedded default', { timeout: 300_000 }, () => {
  test('SIGTERM mid-encode with a long drain: exits only after the job completed, attempts 1, no FFmpeg left', async () => {
    await withDataDir(async (dataDir) => {
      const svc = await startService({ dataDir, env: { RENDER_DRAIN_SECONDS: '240' } });
      let restarted: RunningService | undefined;
      try {
        const job = await submitJob(svc.url, mediumDeck('drained'));
        const ffmpeg = await encoding(svc, job.id);
        const code = await svc.stop(240_000);
        assert.equal(code, 0, svc.output());
        // Read before any restart: the record was completed by the draining process itself.
        const stored = storedRecord(dataDir, job.id);
        assert.equal(stored?.status, 'completed', JSON.stringify(stored));
        assert.equal(stored?.attempts, 1);
        assert.deepEqual(ffmpeg.filter(alive), [], 'no FFmpeg outlives the service');
        restarted = await startService({ dataDir });
        const after = await getJob(restarted.url, job.id);
        assert.equal(after.status, 'completed');
        assert.equal(after.attempts, 1);
        const res = await fetch(`${restarted.url}/api/jobs/${job.id}/output`);
        assert.equal(res.status, 200);
        assert.equal((await res.arrayBuffer()).byteLength, after.output?.bytes);
      } finally {
        await svc.stop();
        await restarted?.stop();
      }
    });
  });

  test('a drain deadline hands the running job back without consuming an attempt or failing it', async () => {
    await withDataDir(async (dataDir) => {
      const svc = await startService({ dataDir, env: { RENDER_DRAIN_SECONDS: '1' } });
      let restarted: RunningService | undefined;
      try {
        const job = await submitJob(svc.url, endlessDeck);
        const ffmpeg = await encoding(svc, job.id);
        assert.equal(await svc.stop(30_000), 0, svc.output());
        const stored = storedRecord(dataDir, job.id);
        assert.equal(stored?.status, 'queued', JSON.stringify(stored));
        assert.equal(stored?.attempts, 0, 'the interrupted start is not counted');
        assert.equal(stored?.error, null, 'not a failure');
        assert.deepEqual(ffmpeg.filter(alive), []);
        restarted = await startService({ dataDir });
        await encoding(restarted, job.id);
        assert.equal((await getJob(restarted.url, job.id)).attempts, 1, 'resumed as attempt 1');
        assert.deepEqual(workerLostLines(restarted, job.id), [], 'a drained attempt is no lost worker');
        assert.equal((await fetch(`${restarted.url}/api/jobs/${job.id}`, { method: 'DELETE' })).status, 200);
      } finally {
        await svc.stop();
        await restarted?.stop();
      }
    });
  });

  test('kill -9 mid-encode, then a restart: the job completes on attempt 2 and the killed FFmpeg is gone', async () => {
    await withDataDir(async (dataDir) => {
      const svc = await startService({ dataDir });
      let restarted: RunningService | undefined;
      try {
        const job = await submitJob(svc.url, mediumDeck('crashed'));
        const ffmpeg = await encoding(svc, job.id);
        svc.child.kill('SIGKILL');
        assert.equal(await svc.stop(), null);
        restarted = await startService({ dataDir });
        const done = await waitForStatus(restarted.url, job.id, ['completed', 'failed'], 180_000);
        assert.equal(done.status, 'completed', JSON.stringify(done.error));
        assert.equal(done.attempts, 2, 'the crash counted as an attempt');
        assert.deepEqual(ffmpeg.filter(alive), [], 'the orphaned FFmpeg was killed');
        // The killed process could not say it died; the one that ran the job next does (the Loki alert WorkerLostMidAttempt counts it).
        assert.ok(workerLostLines(restarted, job.id).length === 1, restarted.output());
        assert.equal((await fetch(`${restarted.url}/api/jobs/${job.id}/output`)).status, 200);
      } finally {
        await svc.stop();
        await restarted?.stop();
      }
    });
  });

  test('a job that kills its process on every attempt fails with WORKER_LOST after maxAttempts', async () => {
    await withDataDir(async (dataDir) => {
      const env = { RENDER_MAX_ATTEMPTS: '2' };
      let svc = await startService({ dataDir, env });
      try {
        const job = await submitJob(svc.url, endlessDeck);
        for (let crash = 1; crash <= 2; crash++) {
          await encoding(svc, job.id);
          assert.equal((await getJob(svc.url, job.id)).attempts, crash);
          svc.child.kill('SIGKILL');
          await svc.stop();
          svc = await startService({ dataDir, env });
        }
        const final: ApiJob = await waitForStatus(svc.url, job.id, ['failed', 'completed'], 30_000);
        assert.equal(final.status, 'failed');
        assert.equal(final.error?.code, 'WORKER_LOST');
        assert.equal(final.error?.retryable, false);
        assert.deepEqual(ffmpegUnder(svc.child.pid!), [], 'not started a third time');
      } finally {
        await svc.stop();
      }
    });
  });

  test('DELETE of a running job then POST /retry at once: the job runs again and completes', async () => {
    await withDataDir(async (dataDir) => {
      const svc = await startService({ dataDir });
      try {
        const job = await submitJob(svc.url, mediumDeck('cancel then retry'));
        await encoding(svc, job.id);
        assert.equal((await fetch(`${svc.url}/api/jobs/${job.id}`, { method: 'DELETE' })).status, 200);
        const retry = await fetch(`${svc.url}/api/jobs/${job.id}/retry`, { method: 'POST' });
        assert.equal(retry.status, 202, await retry.text());
        const done = await waitForStatus(svc.url, job.id, ['completed', 'failed', 'cancelled'], 180_000);
        assert.equal(done.status, 'completed', JSON.stringify(done.error));
        assert.equal(done.attempts, 1);
        assert.equal((await fetch(`${svc.url}/api/jobs/${job.id}/output`)).status, 200);
      } finally {
        await svc.stop();
      }
    });
  });

  test('SIGTERM to a BullMQ worker mid-encode: it drains, the job completes there with attempts 1', async () => {
    const redisUrl = process.env.REDIS_TEST_URL;
    assert.ok(redisUrl, 'REDIS_TEST_URL is not set: run through scripts/with-redis.sh (make test does)');
    await withDataDir(async (dataDir) => {
      const env = { REDIS_URL: redisUrl, RENDER_QUEUE_NAME: `drain-${randomUUID().slice(0, 8)}`, RENDER_DRAIN_SECONDS: '240' };
      const api = await startService({ entry: 'services/api/main.ts', dataDir, env });
      const worker = await startService({ entry: 'services/worker/main.ts', dataDir, env });
      try {
        const job = await submitJob(api.url, mediumDeck('bullmq drained'));
        let ffmpeg: number[] = [];
        await waitFor(
          'the worker encoding',
          async () => {
            ffmpeg = ffmpegUnder(worker.child.pid!);
            return (await getJob(api.url, job.id)).stage === 'encode' && ffmpeg.length > 0;
          },
          60_000,
          50,
        );
        assert.equal(await worker.stop(240_000), 0, worker.output());
        const after = await getJob(api.url, job.id);
        assert.equal(after.status, 'completed', JSON.stringify(after));
        assert.equal(after.attempts, 1);
        assert.deepEqual(ffmpeg.filter(alive), []);
      } finally {
        await Promise.all([worker.stop(), api.stop()]);
      }
    });
  });
});
