/**
 * Load on the embedded default: 500 tiny decks (1 slide, 160x90, 1 s) submitted at once. Every one
 * is accepted, none is lost or duplicated, and every one completes exactly once.
 * The per-client submission limits are raised through the environment, as an operator would for such a load.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { startService } from '../support/service';
import { waitFor } from '../support/ports';
import { submitJob } from '../support/jobs';

const N = 500;
const tiny = (i: number) => ({
  title: `load ${i}`,
  slides: [{ title: `slide ${i}`, duration: 1, transition: 'none' }],
  config: { width: 160, height: 90, fps: 10, quality: 'low' },
});

interface Listed {
  id: string;
  title: string;
  status: string;
  attempts: number;
}

async function listAll(url: string): Promise<Listed[]> {
  const all: Listed[] = [];
  let cursor: string | null = null;
  do {
    const res = await fetch(`${url}/api/jobs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    const page = (await res.json()) as { jobs: Listed[]; nextCursor: string | null };
    all.push(...page.jobs);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

test(`${N} concurrent submissions: all accepted, none lost or duplicated, all completed once`, { timeout: 1_800_000 }, async () => {
  // The submission limits raised (per-client rate, active jobs and queue size all default far below 500).
  const limits = {
    RENDER_SUBMIT_RATE_PER_MINUTE: '1000000',
    RENDER_MAX_ACTIVE_JOBS_PER_CLIENT: '1000000',
    RENDER_MAX_QUEUED_JOBS: '1000000',
  };
  const svc = await startService({ env: { RENDER_CONCURRENCY: '2', LOG_LEVEL: 'error', ...limits } });
  try {
    const accepted = await Promise.all(Array.from({ length: N }, (_, i) => submitJob(svc.url, tiny(i))));
    assert.equal(new Set(accepted.map((j) => j.id)).size, N, 'one id per submission');
    let jobs: Listed[] = [];
    await waitFor(
      'every job finished',
      async () => {
        jobs = await listAll(svc.url);
        return jobs.every((j) => ['completed', 'failed', 'cancelled'].includes(j.status));
      },
      1_700_000,
      2000,
    );
    assert.equal(jobs.length, N, 'nothing lost, nothing extra');
    assert.deepEqual(new Set(jobs.map((j) => j.id)), new Set(accepted.map((j) => j.id)));
    assert.deepEqual(new Set(jobs.map((j) => j.title)).size, N);
    const notCompleted = jobs.filter((j) => j.status !== 'completed' || j.attempts !== 1);
    assert.deepEqual(notCompleted, [], 'every job completed on its first attempt');
    const metrics = await (await fetch(`${svc.url}/api/metrics`)).text();
    const completed = /^render_jobs_total\{status="completed"[^}]*\} (\d+)/m.exec(metrics);
    assert.equal(Number(completed?.[1]), N, 'each completion counted exactly once');
  } finally {
    await svc.stop();
    svc.cleanup();
  }
});
