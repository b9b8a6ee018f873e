/**
 * The Redis admin summary from aggregates (per-day and per-hour sets and sums kept by every record
 * write) against the figures of every record of the range (the way before, kept as the oracle),
 * on randomized jobs spread over 40 days, then moved through random status changes and expired;
 * and the layout-4 upgrade step: records written without aggregates are counted once built.
 * The seed is printed on a mismatch (SUMMARY_SEED=<n> replays it).
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import IORedis from 'ioredis';
import { ERROR_CATEGORIES } from '../shared/errors/categories';
import { canTransition, JOB_STATUSES, type JobRecord, statusChange, TRANSITION_NAMES } from '../shared/job';
import { SLO_WINDOW_MS } from '../shared/slo';
import { SUMMARY_RANGES } from '../shared/stats';
import { RedisKeys } from './bullmq/keys';
import type { JobPatch } from './contract';
import type { RedisJobStore } from './bullmq/redis-job-store';
import { aggregateFacts } from './bullmq/summary-aggregates';
import { freshQueue, jobRecord, redisTestUrl, waitFor } from '../../test/support/queue';

const T = { timeout: 120_000 };
const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2031, 5, 15, 13, 27, 41, 123);

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sums in another order differ in the last bits: compare numbers at 9 significant digits. */
const same = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'number' ? Number(v.toPrecision(9)) : v));

function randomJob(rnd: () => number, i: number): JobRecord {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  // Mostly the last 40 days; a few in the future (another process's clock).
  const created = rnd() < 0.03 ? NOW + rnd() * 2 * DAY : NOW - rnd() * 40 * DAY;
  const status = pick(JOB_STATUSES);
  const finished = status === 'completed' || status === 'failed' || status === 'cancelled';
  const rec = jobRecord(`r${i}`, new Date(Math.floor(created)));
  return {
    ...rec,
    title: `job ${i}`,
    status,
    ...fields(rnd, Math.floor(created), finished, status === 'failed'),
  };
}

/** Random summary-relevant fields: durations with ties, waits, failure times, errors (some failures without one). */
function fields(rnd: () => number, created: number, finished: boolean, failed: boolean): JobPatch {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const duration = rnd() < 0.3 ? pick([1, 2.5, 7]) : Math.round(rnd() * 100_000) / 1000 + rnd() / 1e6;
  const finishedAt = finished && rnd() < 0.9 ? new Date(created + Math.floor(rnd() * 3 * HOUR)).toISOString() : null;
  return {
    durationSeconds: finished && rnd() < 0.95 ? duration : null,
    queueWaitSeconds: rnd() < 0.2 ? null : rnd() * 30,
    finishedAt,
    updatedAt: new Date(created + Math.floor(rnd() * 4 * HOUR)).toISOString(),
    error:
      failed && rnd() < 0.9
        ? { code: `E${Math.floor(rnd() * 4)}`, category: pick(ERROR_CATEGORIES), message: `failure ${rnd()}`, retryable: false }
        : null,
  };
}

function sincesToCheck(rnd: () => number): number[] {
  const out = [...Object.values(SUMMARY_RANGES), ...Object.values(SLO_WINDOW_MS)].map((ms) => NOW - ms);
  out.push(0, NOW + 3 * DAY, Math.floor(NOW / HOUR) * HOUR, Math.floor(NOW / DAY) * DAY - 3 * DAY, Math.floor(NOW / DAY) * DAY - 5 * HOUR);
  for (let i = 0; i < 12; i++) out.push(Math.floor(NOW - rnd() * 42 * DAY));
  return out;
}

test('Redis summary aggregates answer what every record of the range adds up to (randomized)', T, async () => {
  const seed = Number(process.env.SUMMARY_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const rnd = random(seed);
  const q = await freshQueue('bullmq');
  const redis = new IORedis(redisTestUrl(), { maxRetriesPerRequest: 1 });
  try {
    const b = await q.open();
    const store = b.store as RedisJobStore;
    await store.buildSummaryAggregates();
    const keys = new RedisKeys(q.queueName);
    assert.equal(await redis.exists(keys.summaryBuilt()), 1);
    const jobs = Array.from({ length: 600 }, (_, i) => randomJob(rnd, i));
    for (const job of jobs) await store.create(job);
    // Status changes and plain updates move jobs between sets and change their figures.
    for (let i = 0; i < 400; i++) {
      const job = jobs[Math.floor(rnd() * jobs.length)]!;
      const current = await store.get(job.id);
      if (!current) continue;
      const created = Date.parse(current.createdAt);
      const names = TRANSITION_NAMES.filter((n) => canTransition(n, current.status));
      if (names.length === 0 || rnd() < 0.3) {
        await store.update(job.id, fields(rnd, created, current.finishedAt !== null, current.status === 'failed'));
        continue;
      }
      const change = statusChange(names[Math.floor(rnd() * names.length)]!);
      const to = change.to as JobRecord['status'];
      await store.transition(job.id, change, fields(rnd, created, to !== 'queued' && to !== 'processing', to === 'failed'));
    }
    // Retention deletes some finished jobs (their entries go with them).
    const expired = await store.deleteFinishedBefore(NOW - 20 * DAY, 60);
    assert.ok(expired.length > 0, 'some jobs expired');
    for (const since of sincesToCheck(rnd)) {
      const fromRecords = await store.summaryFactsFromRecords(since);
      const fromAggregates = await aggregateFacts(redis, keys, since);
      assert.equal(same(fromAggregates), same(fromRecords), `seed ${seed}, since now-${(NOW - since) / HOUR} h`);
      assert.equal(same(await store.summaryFacts(since)), same(fromRecords), 'the store answers from the aggregates');
    }
    const all = await store.summaryFactsFromRecords(0);
    assert.ok(all.completed.count > 20 && all.failed.count > 20 && all.errors.length > 3, `seed ${seed}: the data exercises every figure`);
  } finally {
    redis.disconnect();
    await q.cleanup();
  }
});

test('upgrade to layout 4: records written without aggregates are counted by the build step, beside live writes', T, async () => {
  const rnd = random(4);
  const q = await freshQueue('bullmq');
  const redis = new IORedis(redisTestUrl(), { maxRetriesPerRequest: 1 });
  try {
    const keys = new RedisKeys(q.queueName);
    const first = await q.open();
    for (let i = 0; i < 300; i++) await first.store.create(randomJob(rnd, i));
    await first.close();
    // What a layout-3 Redis holds: the records and their indexes, no aggregates, no built mark.
    const stream = redis.scanStream({ match: `render-o11y:${q.queueName}:sum:*`, count: 500 });
    for await (const found of stream) if ((found as string[]).length) await redis.del(...(found as string[]));
    await redis.set(keys.layout(), '3');
    const before = await aggregateFacts(redis, keys, 0);
    assert.equal(before.completed.count, 0, 'the aggregates are really empty before the upgrade');

    // The new release starts (its build begins) while records keep changing under it.
    const upgraded = (await q.open()).store as RedisJobStore;
    await Promise.all(
      Array.from({ length: 150 }, async (_, i) => {
        const id = `r${Math.floor(rnd() * 300)}`;
        const current = await upgraded.get(id);
        const names = current ? TRANSITION_NAMES.filter((n) => canTransition(n, current.status)) : [];
        if (!current || names.length === 0) return;
        const change = statusChange(names[i % names.length]!);
        const created = Date.parse(current.createdAt);
        await upgraded.transition(
          id,
          change,
          fields(rnd, created, change.to !== 'queued' && change.to !== 'processing', change.to === 'failed'),
        );
      }),
    );
    await waitFor('the build step to finish', async () => (await redis.exists(keys.summaryBuilt())) === 1);
    assert.equal(await redis.get(keys.layout()), '4');
    for (const since of sincesToCheck(rnd)) {
      assert.equal(same(await aggregateFacts(redis, keys, since)), same(await upgraded.summaryFactsFromRecords(since)), `since ${since}`);
    }
    assert.equal(await upgraded.buildSummaryAggregates(), 0, 'built once: a second start does not count again');
  } finally {
    redis.disconnect();
    await q.cleanup();
  }
});
