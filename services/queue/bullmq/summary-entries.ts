/**
 * The write side of the Redis summary aggregates: what one job record adds to them, and the
 * commands that move them from one version of a record to the next, run inside the same Lua
 * script as the record's write (so the aggregates never disagree with the records).
 *
 * Each job counts in two time buckets of its creation (its UTC day and its hour): a sorted set
 * per figure holds one entry per job (its duration, queue wait or failure time, member
 * `createdIndexMember`), and the bucket's hash keeps the running sum of each duration and wait
 * set. A put or drop reads the entry's stored score first, so the sums follow the sets exactly and
 * writing the same entry twice (an upgrade's build racing a live write) changes nothing.
 */
import { epochMs } from '../job-patch';
import type { JobRecord } from '../../shared/job';
import { createdIndexMember, type RedisKeys } from './keys';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
const LEVELS = [
  ['d', DAY_MS],
  ['h', HOUR_MS],
] as const;

/** One entry of a job in one aggregate set (with the hash field its score sums into, if any). */
interface Entry {
  zset: string;
  member: string;
  score: string;
  hash: string | null;
  field: string;
  /** The day index: kept when the job goes (an empty day costs one lookup; a missing one would lose jobs). */
  sticky?: boolean;
}

/** The aggregate entries of one record. */
export function entriesOf(keys: RedisKeys, job: JobRecord): Entry[] {
  const created = epochMs(job.createdAt);
  const member = createdIndexMember(created, job.id);
  const day = Math.floor(created / DAY_MS);
  const out: Entry[] = [{ zset: keys.summaryDays(), member: String(day), score: String(day), hash: null, field: '', sticky: true }];
  for (const [level, size] of LEVELS) {
    const n = Math.floor(created / size);
    const hash = keys.summaryBucket(level, n);
    if ((job.status === 'completed' || job.status === 'failed') && job.durationSeconds !== null) {
      const zset = keys.summaryDurations(level, n, job.status);
      out.push({ zset, member, score: String(job.durationSeconds), hash, field: `dur:${job.status}` });
    }
    if (job.queueWaitSeconds !== null) {
      out.push({ zset: keys.summaryWaits(level, n), member, score: String(job.queueWaitSeconds), hash, field: 'wait' });
    }
    if (job.status === 'failed' && job.error) {
      const at = String(epochMs(job.finishedAt ?? job.updatedAt));
      out.push({ zset: keys.summaryErrors(level, n, job.error.category), member, score: at, hash: null, field: '' });
    }
  }
  return out;
}

/** Keys and the JSON op list for `APPLY_SUMMARY` (key indexes count from `firstKey`, 1-based in KEYS). */
export interface SummaryOps {
  keys: string[];
  ops: string;
}

/** The aggregate changes from record `before` to `after` (null: absent), as arguments for `APPLY_SUMMARY`. */
export function summaryOps(keys: RedisKeys, before: JobRecord | null, after: JobRecord | null, firstKey: number): SummaryOps {
  const old = before ? entriesOf(keys, before) : [];
  const next = after ? entriesOf(keys, after) : [];
  const used: string[] = [];
  const index = (key: string) => {
    let i = used.indexOf(key);
    if (i === -1) i = used.push(key) - 1;
    return firstKey + i;
  };
  const ops: (string | number)[][] = [];
  for (const e of old) {
    if (e.sticky || next.some((n) => n.zset === e.zset && n.member === e.member)) continue;
    ops.push(['drop', index(e.zset), e.hash ? index(e.hash) : 0, e.field, e.member, '']);
  }
  for (const e of next) {
    if (old.some((o) => o.zset === e.zset && o.member === e.member && o.score === e.score)) continue;
    ops.push(['put', index(e.zset), e.hash ? index(e.hash) : 0, e.field, e.member, e.score]);
  }
  return { keys: used, ops: JSON.stringify(ops) };
}

/**
 * Lua: `apply_summary(ops_json)` runs the ops of `summaryOps` (each [kind, zset key, hash key or 0,
 * field, member, score]). Scores stay strings end to end, so sums see exactly the stored values.
 */
export const APPLY_SUMMARY = `
local function apply_summary(ops_json)
  for _, op in ipairs(cjson.decode(ops_json)) do
    local z = KEYS[op[2]]
    local h = nil
    if op[3] > 0 then h = KEYS[op[3]] end
    local old = redis.call('ZSCORE', z, op[5])
    if old and h then
      if string.sub(old, 1, 1) == '-' then old = string.sub(old, 2) else old = '-' .. old end
      redis.call('HINCRBYFLOAT', h, op[4], old)
    end
    if op[1] == 'put' then
      redis.call('ZADD', z, op[6], op[5])
      if h then redis.call('HINCRBYFLOAT', h, op[4], op[6]) end
    elseif old then
      redis.call('ZREM', z, op[5])
    end
  end
end
`;
