/**
 * The jobs both admin-summary benches seed (embedded and Redis stores): `total` jobs spread over
 * 29 days before `now`, one in ten failed (every error category in turn), one in 97 still queued,
 * the rest completed with 50 distinct durations.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { ERROR_CATEGORIES } from '../services/shared/errors/categories';
import { newJobRecord, type JobRecord } from '../services/shared/job';
import { renderRequestSchema } from '../services/shared/request';

const DAY_MS = 86_400_000;

export function seededJob(i: number, total: number, now: number): JobRecord {
  const request = renderRequestSchema.parse({
    title: `bench deck ${i}`,
    slides: [{ title: 'one', content: 'x'.repeat(200), duration: 1 }],
  });
  const created = new Date(now - Math.floor((((i * 7919) % total) / total) * 29 * DAY_MS));
  const job = newJobRecord(randomUUID(), request, 3, created);
  const finishedAt = new Date(created.getTime() + 5000 + (i % 50) * 1000).toISOString();
  if (i % 10 === 0) {
    const category = ERROR_CATEGORIES[i % ERROR_CATEGORIES.length]!;
    const error = { code: 'BENCH', category, message: `bench failure ${i}`, retryable: false };
    return { ...job, status: 'failed', attempts: 3, finishedAt, durationSeconds: 2 + (i % 7), error };
  }
  if (i % 97 === 0) return job;
  return { ...job, status: 'completed', attempts: 1, finishedAt, durationSeconds: 5 + (i % 50), queueWaitSeconds: 0.2 };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Sums in another order differ in the last bits (SQLite's AVG, Redis's float sums vs a JavaScript loop): compare at 9 digits. */
export const sameFigures = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'number' ? Number(v.toPrecision(9)) : v));

/** Both benches' target: the summary's median wall time under 100 ms with 100,000 jobs in range. */
export const TARGET_MS = 100;

/** Prints whether `medianMs` meets TARGET_MS, with the load it was measured under, and sets the exit code. */
export function reportTarget(medianMs: number): void {
  const ok = medianMs < TARGET_MS;
  console.log(
    `  target < ${TARGET_MS} ms (wall, median): ${ok ? 'met' : 'MISSED'}; load average now ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`,
  );
  process.exitCode = ok ? 0 : 1;
}
