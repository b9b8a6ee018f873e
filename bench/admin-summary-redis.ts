/**
 * The admin summary's job figures with 100,000 jobs in range on the Redis store: the aggregates
 * kept with every write (`summaryFacts`, what `/api/admin/summary` and `/admin/metrics` use) against
 * the previous way (every record of the range read and aggregated in JavaScript), same jobs as the
 * embedded bench (bench/admin-summary.ts), same run, interleaved; then the layout-4 upgrade step
 * (building the aggregates from the records) timed once.
 * Target: the aggregates answer in under 100 ms (median) with 100,000 jobs in the 30-day range, as
 * the embedded store's SQL does; the ratio old / new is printed so a slower machine still shows the gain.
 * CPU is this process's and redis-server's (INFO cpu), since most of the work is in Redis.
 * Run: `node --import tsx bench/admin-summary-redis.ts [jobs] [rounds]` (starts its own redis-server on a free loopback port).
 */
import IORedis from 'ioredis';
import { RedisKeys } from '../services/queue/bullmq/keys';
import { RedisJobStore } from '../services/queue/bullmq/redis-job-store';
import { startPrivateRedis } from '../test/support/private-redis';
import { median, reportTarget, sameFigures, seededJob } from './summary-jobs';

const JOBS = Number(process.argv[2] ?? 100_000);
const ROUNDS = Number(process.argv[3] ?? 7);
const DAY_MS = 86_400_000;

async function redisCpuMs(redis: IORedis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/** Wall time, this process's CPU and Redis's CPU of one call (ms). */
async function timed(redis: IORedis, fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number; redisCpu: number }> {
  const redisBefore = await redisCpuMs(redis);
  const cpu = process.cpuUsage();
  const t = performance.now();
  await fn();
  const wall = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1000, redisCpu: (await redisCpuMs(redis)) - redisBefore };
}

async function main(): Promise<void> {
  // No persistence: the bench measures reads, and 100,000 creates with fsync on each would only slow its set-up.
  const server = await startPrivateRedis({ appendonly: false });
  const redis = new IORedis(server.url, { maxRetriesPerRequest: 1 });
  try {
    const keys = new RedisKeys('bench');
    const store = new RedisJobStore(redis, keys);
    await store.buildSummaryAggregates();
    const now = Date.now();
    for (let i = 0; i < JOBS; i += 1000) {
      await Promise.all(Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => store.create(seededJob(i + k, JOBS, now))));
    }
    const since = now - 30 * DAY_MS;
    // Warm-up, and the two ways must agree before their times mean anything.
    if (sameFigures(await store.summaryFacts(since)) !== sameFigures(await store.summaryFactsFromRecords(since))) {
      throw new Error('the Redis aggregates disagree with the record-by-record figures');
    }
    const agg: Awaited<ReturnType<typeof timed>>[] = [];
    const load: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      agg.push(await timed(redis, () => store.summaryFacts(since)));
      load.push((await timed(redis, () => store.summaryFactsFromRecords(since))).wall);
    }
    // The upgrade step on the same records: aggregates dropped, built again from the records.
    const memory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
    const withAggregates = await memory();
    const sumKeys = await redis.keys(`render-o11y:bench:sum:*`);
    for (let i = 0; i < sumKeys.length; i += 1000) await redis.del(...sumKeys.slice(i, i + 1000));
    const withoutAggregates = await memory();
    const fresh = new RedisJobStore(redis, keys);
    let counted = 0;
    const build = await timed(redis, async () => {
      counted = await fresh.buildSummaryAggregates();
    });
    if (sameFigures(await fresh.summaryFacts(since)) !== sameFigures(await fresh.summaryFactsFromRecords(since))) {
      throw new Error('the rebuilt aggregates disagree with the record-by-record figures');
    }
    const m = { wall: median(agg.map((a) => a.wall)), load: median(load) };
    const list = (xs: number[], digits = 1) => xs.map((x) => x.toFixed(digits)).join(' ');
    console.log(`admin summary figures on Redis, ${JOBS} jobs in range, ${ROUNDS} rounds`);
    console.log(`  aggregates (ms):            ${list(agg.map((a) => a.wall))}  median ${m.wall.toFixed(1)}`);
    console.log(`  aggregates, node CPU (ms):  ${list(agg.map((a) => a.cpu))}  median ${median(agg.map((a) => a.cpu)).toFixed(1)}`);
    console.log(
      `  aggregates, Redis CPU (ms): ${list(agg.map((a) => a.redisCpu))}  median ${median(agg.map((a) => a.redisCpu)).toFixed(1)}`,
    );
    console.log(`  load every record (ms):     ${list(load, 0)}  median ${m.load.toFixed(0)}`);
    console.log(`  ratio load / aggregates:    ${(m.load / m.wall).toFixed(1)}x`);
    console.log(
      `  layout-4 build from records: ${counted} records in ${(build.wall / 1000).toFixed(1)} s (node CPU ${(build.cpu / 1000).toFixed(1)} s, Redis CPU ${(build.redisCpu / 1000).toFixed(1)} s)`,
    );
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
    console.log(
      `  Redis memory: ${mib(withAggregates)} MiB, of which the aggregates ${mib(withAggregates - withoutAggregates)} MiB (${sumKeys.length} keys)`,
    );
    reportTarget(m.wall);
  } finally {
    redis.disconnect();
    await server.destroy();
  }
}

void main();
