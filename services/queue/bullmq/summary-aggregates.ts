/**
 * The read side of the Redis summary aggregates (summary-entries.ts writes them): the admin
 * summary's job figures for "created at or after `sinceMs`" from per-bucket counts, sums and sorted
 * sets, with the same answer as aggregating every record of the range (`factsOfJobs`).
 *
 * The range splits into whole day buckets, whole hour buckets up to the first whole day, and the
 * part of an hour before the first whole hour, whose records (at most an hour's) are read as
 * they are. Totals are counts of the status indexes; percentiles are exact nearest-rank
 * selections over the buckets' sorted sets (one Lua script, by bisection on the stored values).
 */
import type { Redis } from 'ioredis';
import { ERROR_CATEGORIES, type ErrorCategory } from '../../shared/errors/categories';
import { JOB_STATUSES, type JobRecord } from '../../shared/job';
import { type CategoryErrors, type DurationStats, ERROR_SAMPLES_PER_CATEGORY, emptyTotals, type JobFacts } from '../../shared/stats';
import { epochMs } from '../job-patch';
import { createdIndexFloor, createdIndexMember, idOfMember, type RedisKeys } from './keys';
import { DAY_MS, HOUR_MS } from './summary-entries';

/**
 * Lua: the values of nearest ranks ARGV[2] (JSON array) over the sorted sets KEYS and the extra
 * values ARGV[1] (JSON array of strings), by bisection: `lo` always has fewer than k values at or
 * below it, `hi` (a stored value) at least k; each step moves to the next stored value above `lo`
 * or halves the gap, so a rank costs a few dozen ZCOUNTs per set, whatever the number of jobs.
 */
const SELECT = `
local extra = {}
for i, v in ipairs(cjson.decode(ARGV[1])) do extra[i] = tonumber(v) end
table.sort(extra)
local function fmt(v) return string.format('%.17g', v) end
local function extra_le(v)
  local a, b = 0, #extra
  while a < b do
    local m = math.floor((a + b + 1) / 2)
    if extra[m] <= v then a = m else b = m - 1 end
  end
  return a
end
local function count_le(v)
  local c = extra_le(v)
  local s = fmt(v)
  for i = 1, #KEYS do c = c + redis.call('ZCOUNT', KEYS[i], '-inf', s) end
  return c
end
local function min_gt(lo)
  local bound = '-inf'
  if lo then bound = '(' .. fmt(lo) end
  local best = nil
  for i = 1, #KEYS do
    local r = redis.call('ZRANGE', KEYS[i], bound, '+inf', 'BYSCORE', 'LIMIT', 0, 1, 'WITHSCORES')
    if r[2] then
      local x = tonumber(r[2])
      if best == nil or x < best then best = x end
    end
  end
  local j = 1
  if lo then j = extra_le(lo) + 1 end
  if extra[j] and (best == nil or extra[j] < best) then best = extra[j] end
  return best
end
local function max_le(bound, v)
  local best = nil
  for i = 1, #KEYS do
    local r = redis.call('ZRANGE', KEYS[i], bound, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 1, 'WITHSCORES')
    if r[2] then
      local x = tonumber(r[2])
      if best == nil or x > best then best = x end
    end
  end
  local j = #extra
  if v then j = extra_le(v) end
  if extra[j] and (best == nil or extra[j] > best) then best = extra[j] end
  return best
end
local top = max_le('+inf', nil)
local out = {}
for i, k in ipairs(cjson.decode(ARGV[2])) do
  local lo, hi = nil, top
  local found = nil
  local steps = 0
  while found == nil do
    steps = steps + 1
    if steps > 5000 then return redis.error_reply('summary percentile selection did not converge') end
    local nxt = min_gt(lo)
    if nxt >= hi or count_le(nxt) >= k then
      found = math.min(nxt, hi)
    else
      lo = nxt
      local mid = lo + (hi - lo) / 2
      if mid > lo and mid < hi then
        if count_le(mid) >= k then hi = max_le(fmt(mid), mid) else lo = mid end
      end
    end
  end
  out[i] = fmt(found)
end
return out`;

interface Bucket {
  level: 'd' | 'h';
  n: number;
}

/** What one bucket holds, read in one pipeline with the others. */
interface BucketFigures {
  bucket: Bucket;
  durations: Record<'completed' | 'failed', { n: number; sum: number }>;
  waits: { n: number; sum: number };
  errors: Record<ErrorCategory, number>;
}

type Finished = 'completed' | 'failed';

/** The job figures of every job created at or after `sinceMs`, from the aggregates. */
export async function aggregateFacts(redis: Redis, keys: RedisKeys, sinceMs: number): Promise<JobFacts> {
  const since = Math.max(0, Math.floor(sinceMs));
  const firstHour = Math.ceil(since / HOUR_MS);
  const firstDay = Math.ceil(since / DAY_MS);
  const buckets: Bucket[] = [];
  for (let h = firstHour; h < firstDay * 24; h++) buckets.push({ level: 'h', n: h });
  for (const d of await redis.zrangebyscore(keys.summaryDays(), firstDay, '+inf')) buckets.push({ level: 'd', n: Number(d) });

  const head = redis.pipeline();
  for (const status of JOB_STATUSES) head.zlexcount(keys.byStatus(status), createdIndexFloor(since), '+');
  // The records of the part-hour before the first whole hour.
  head.zrange(keys.allJobs(), createdIndexFloor(since), `(${createdIndexMember(firstHour * HOUR_MS, '')}`, 'BYLEX');
  for (const { level, n } of buckets) {
    head.zcard(keys.summaryDurations(level, n, 'completed'));
    head.zcard(keys.summaryDurations(level, n, 'failed'));
    head.zcard(keys.summaryWaits(level, n));
    head.hmget(keys.summaryBucket(level, n), 'dur:completed', 'dur:failed', 'wait');
    for (const category of ERROR_CATEGORIES) head.zcard(keys.summaryErrors(level, n, category));
  }
  const results = ((await head.exec()) ?? []).map(([err, value]) => {
    if (err) throw err;
    return value;
  });
  const totals = emptyTotals();
  JOB_STATUSES.forEach((status, i) => {
    totals[status] = Number(results[i]);
  });
  const partMembers = results[JOB_STATUSES.length] as string[];
  const part = await loadSmall(redis, keys, partMembers.map(idOfMember));
  let at = JOB_STATUSES.length + 1;
  const figures: BucketFigures[] = buckets.map((bucket) => {
    const [c, f, w, sums] = results.slice(at, at + 4) as [number, number, number, (string | null)[]];
    const errors = Object.fromEntries(ERROR_CATEGORIES.map((cat, i) => [cat, Number(results[at + 4 + i])])) as Record<
      ErrorCategory,
      number
    >;
    at += 4 + ERROR_CATEGORIES.length;
    const num = (v: string | null | undefined) => (v ? Number(v) : 0);
    return {
      bucket,
      durations: { completed: { n: c, sum: num(sums[0]) }, failed: { n: f, sum: num(sums[1]) } },
      waits: { n: w, sum: num(sums[2]) },
      errors,
    };
  });

  const completed = await durations(redis, keys, figures, part, 'completed');
  const failed = await durations(redis, keys, figures, part, 'failed');
  let waitN = 0;
  let waitSum = 0;
  for (const b of figures) {
    if (b.waits.n === 0) continue;
    waitN += b.waits.n;
    waitSum += b.waits.sum;
  }
  for (const job of part) {
    if (job.queueWaitSeconds === null) continue;
    waitN++;
    waitSum += job.queueWaitSeconds;
  }
  return {
    totals,
    completed,
    failed,
    fastest: await extreme(redis, keys, figures, part, completed.min),
    slowest: await extreme(redis, keys, figures, part, completed.max),
    avgQueueWaitSeconds: waitN ? waitSum / waitN : null,
    errors: await errorsOf(redis, keys, figures, part),
  };
}

const durationOf = (job: JobRecord, status: Finished) => (job.status === status ? job.durationSeconds : null);

async function durations(
  redis: Redis,
  keys: RedisKeys,
  figures: BucketFigures[],
  part: JobRecord[],
  status: Finished,
): Promise<DurationStats> {
  const extra = part.map((j) => durationOf(j, status)).filter((d): d is number => d !== null);
  const sets = figures.filter((b) => b.durations[status].n > 0);
  const n = extra.length + sets.reduce((s, b) => s + b.durations[status].n, 0);
  if (n === 0) return { count: 0, avg: null, p50: null, p90: null, p95: null, p99: null, min: null, max: null };
  const sum = extra.reduce((s, v) => s + v, 0) + sets.reduce((s, b) => s + b.durations[status].sum, 0);
  const rank = (q: number) => Math.min(n, Math.max(1, Math.ceil((q / 100) * n)));
  const ranks = [1, n, rank(50), rank(90), rank(95), rank(99)];
  const zsets = sets.map((b) => keys.summaryDurations(b.bucket.level, b.bucket.n, status));
  const values = (
    (await redis.eval(SELECT, zsets.length, ...zsets, JSON.stringify(extra.map(String)), JSON.stringify(ranks))) as string[]
  ).map(Number);
  const [min, max, p50, p90, p95, p99] = values as [number, number, number, number, number, number];
  return { count: n, avg: sum / n, p50, p90, p95, p99, min, max };
}

/** The newest completed job whose duration is `seconds` (ties go to the newest, as `factsOfJobs` picks). */
async function extreme(
  redis: Redis,
  keys: RedisKeys,
  figures: BucketFigures[],
  part: JobRecord[],
  seconds: number | null,
): Promise<JobFacts['fastest']> {
  if (seconds === null) return null;
  const score = String(seconds);
  const candidates = part.filter((j) => durationOf(j, 'completed') === seconds).map((j) => createdIndexMember(epochMs(j.createdAt), j.id));
  const pipeline = redis.pipeline();
  for (const b of figures) {
    if (b.durations.completed.n > 0) {
      pipeline.zrange(keys.summaryDurations(b.bucket.level, b.bucket.n, 'completed'), score, score, 'BYSCORE', 'REV', 'LIMIT', 0, 1);
    }
  }
  for (const [err, members] of (await pipeline.exec()) ?? []) {
    if (err) throw err;
    candidates.push(...(members as string[]));
  }
  const newest = candidates.reduce<string | null>((best, m) => (best === null || m > best ? m : best), null);
  const [job] = newest === null ? [] : await loadSmall(redis, keys, [idOfMember(newest)]);
  return job ? { jobId: job.id, title: job.title, seconds } : null;
}

/** Each category's count of final failures and its most recent samples (failure time, then newest created). */
async function errorsOf(redis: Redis, keys: RedisKeys, figures: BucketFigures[], part: JobRecord[]): Promise<CategoryErrors[]> {
  const groups: { category: ErrorCategory; count: number; top: { member: string; at: number }[] }[] = [];
  for (const category of ERROR_CATEGORIES) {
    const top: { member: string; at: number }[] = [];
    let count = 0;
    for (const job of part) {
      if (job.status !== 'failed' || job.error?.category !== category) continue;
      count++;
      top.push({ member: createdIndexMember(epochMs(job.createdAt), job.id), at: epochMs(job.finishedAt ?? job.updatedAt) });
    }
    const pipeline = redis.pipeline();
    for (const b of figures) {
      if (b.errors[category] === 0) continue;
      count += b.errors[category];
      const zset = keys.summaryErrors(b.bucket.level, b.bucket.n, category);
      pipeline.zrange(zset, '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, ERROR_SAMPLES_PER_CATEGORY, 'WITHSCORES');
    }
    if (count === 0) continue;
    for (const [err, flat] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      const pairs = flat as string[];
      for (let i = 0; i < pairs.length; i += 2) top.push({ member: pairs[i]!, at: Number(pairs[i + 1]) });
    }
    top.sort((a, b) => b.at - a.at || (a.member < b.member ? 1 : a.member > b.member ? -1 : 0));
    groups.push({ category, count, top: top.slice(0, ERROR_SAMPLES_PER_CATEGORY) });
  }
  groups.sort((a, b) => b.count - a.count || a.category.localeCompare(b.category));
  const out: CategoryErrors[] = [];
  for (const g of groups) {
    const jobs = await loadSmall(
      redis,
      keys,
      g.top.map((t) => idOfMember(t.member)),
    );
    out.push({
      category: g.category,
      count: g.count,
      samples: jobs.map((j) => ({ jobId: j.id, code: j.error!.code, message: j.error!.message, at: j.finishedAt ?? j.updatedAt })),
    });
  }
  return out;
}

/** The small records (no decks) of `ids`, in order; vanished ones skipped. */
async function loadSmall(redis: Redis, keys: RedisKeys, ids: string[]): Promise<JobRecord[]> {
  const jobs: JobRecord[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const values = await redis.mget(...ids.slice(i, i + 500).map((id) => keys.job(id)));
    for (const raw of values) if (raw !== null) jobs.push(JSON.parse(raw) as JobRecord);
  }
  return jobs;
}
