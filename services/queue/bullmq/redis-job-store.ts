/**
 * Job records in Redis: one JSON string per job plus lexicographic sorted sets (all jobs, and one per
 * status) whose members sort by creation time then id, so paging and `createdSince` never scan.
 */
import type { Redis } from 'ioredis';
import type { IdempotencyClaim, JobPage, JobPatch, JobStore, ListOptions } from '../contract';
import { ACTIVE_STATUSES, jobClient, type JobRecord, type JobStatus, type StatusChange } from '../../shared/job';
import { applyJobPatch, decodeCursor, encodeCursor, epochMs, statusAllowed, transitionWrite, type RecordWrite } from '../job-patch';
import { createdIndexFloor, createdIndexMember, idOfMember, type RedisKeys } from './keys';
import { factsOfJobs, type JobFacts } from '../../shared/stats';
import { APPLY_SUMMARY, summaryOps } from './summary-entries';
import { aggregateFacts } from './summary-aggregates';

// KEYS: job, all-jobs index, status index, deck, client index, then the summary ops' keys.
// ARGV: small json, member, deck json, summary ops.
const CREATE = `${APPLY_SUMMARY}
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  apply_summary(ARGV[4])
  redis.call('SET', KEYS[4], ARGV[3])
  redis.call('ZADD', KEYS[2], 0, ARGV[2])
  redis.call('ZADD', KEYS[3], 0, ARGV[2])
  redis.call('ZADD', KEYS[5], 0, ARGV[2])
  return 1
end
return 0`;

// KEYS: job, all index, status index, client index, deck, then the summary ops' keys. ARGV: expected
// json, member, summary ops. Deletes only an unchanged record.
const DELETE = `${APPLY_SUMMARY}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
apply_summary(ARGV[3])
redis.call('DEL', KEYS[1], KEYS[5])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[2])
return 1`;

// KEYS: idempotency key. ARGV: claim (JSON), ttl ms. Returns the claim already recorded, or nil after recording ours.
const CLAIM = `
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

// KEYS: idempotency key. ARGV: job id. Deletes the key only if it still names that job (a JSON
// claim, or a bare job id as layout 2 wrote them).
const RELEASE = `
local v = redis.call('GET', KEYS[1])
if not v then return 1 end
local id = v
if string.sub(v, 1, 1) == '{' then id = cjson.decode(v).jobId end
if id == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

/** A stored claim: JSON since layout 3, a bare job id before (no fingerprint: it replays as it did). */
function decodeClaim(value: string): IdempotencyClaim {
  if (!value.startsWith('{')) return { jobId: value, fingerprint: null, claimedAtMs: 0 };
  const parsed = JSON.parse(value) as { jobId: string; fingerprint?: string | null; claimedAt?: number };
  return { jobId: parsed.jobId, fingerprint: parsed.fingerprint ?? null, claimedAtMs: parsed.claimedAt ?? 0 };
}

// Compare-and-set. KEYS: job, old status index, new status index, then the summary ops' keys.
// ARGV: expected json, new json, member, summary ops.
const SWAP = `${APPLY_SUMMARY}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
apply_summary(ARGV[4])
if KEYS[2] ~= KEYS[3] then
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('ZADD', KEYS[3], 0, ARGV[3])
end
return 1`;

// Puts one record into the summary aggregates if it is unchanged. KEYS: job, then the ops' keys. ARGV: expected json, ops.
const COUNT_ONE = `${APPLY_SUMMARY}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
apply_summary(ARGV[2])
return 1`;

const MGET_CHUNK = 500;
const MAX_SWAP_TRIES = 20;

/** `JobStore` over Redis, shared by every API replica and worker. */
export class RedisJobStore implements JobStore {
  private aggregatesBuilt = false;
  private building: Promise<number> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async create(job: JobRecord): Promise<void> {
    const member = createdIndexMember(epochMs(job.createdAt), job.id);
    // The deck goes to its own key, written once: status and progress writes then move only the small record.
    const { request, ...small } = job;
    const sum = summaryOps(this.keys, null, job, 6);
    const created = await this.redis.eval(
      CREATE,
      5 + sum.keys.length,
      this.keys.job(job.id),
      this.keys.allJobs(),
      this.keys.byStatus(job.status),
      this.keys.deck(job.id),
      this.keys.byClient(jobClient(job)),
      ...sum.keys,
      JSON.stringify(small),
      member,
      JSON.stringify(request),
      sum.ops,
    );
    if (created !== 1) throw new Error(`job ${job.id} already exists`);
  }

  async get(id: string): Promise<JobRecord | null> {
    const [raw, deck] = await this.redis.mget(this.keys.job(id), this.keys.deck(id));
    return raw === null || raw === undefined ? null : withDeck(raw, deck ?? null);
  }

  async update(id: string, patch: JobPatch, onlyIf?: readonly JobStatus[], owner?: string): Promise<JobRecord | null> {
    return this.write(id, patch, onlyIf, owner);
  }

  async transition(id: string, change: StatusChange, patch: JobPatch, owner?: string): Promise<JobRecord | null> {
    return this.write(id, transitionWrite(change, patch), change.from, owner);
  }

  private async write(id: string, patch: RecordWrite, onlyIf?: readonly JobStatus[], owner?: string): Promise<JobRecord | null> {
    const next = await this.swap(id, patch, onlyIf, owner);
    if (!next) return null;
    // Records written before decks moved out keep theirs inline; newer ones never carry it here.
    return next.request ? next : withDeck(JSON.stringify(next), await this.redis.get(this.keys.deck(id)));
  }

  async patchState(id: string, patch: JobPatch, onlyIf?: readonly JobStatus[], owner?: string): Promise<boolean> {
    return (await this.swap(id, patch, onlyIf, owner)) !== null;
  }

  /** Optimistic compare-and-set of the small record: writes only if nobody changed it since we read it; otherwise re-reads. */
  private async swap(id: string, patch: RecordWrite, onlyIf?: readonly JobStatus[], owner?: string): Promise<JobRecord | null> {
    for (let i = 0; i < MAX_SWAP_TRIES; i++) {
      const raw = await this.redis.get(this.keys.job(id));
      if (raw === null) return null;
      const current = JSON.parse(raw) as JobRecord;
      if (!statusAllowed(current.status, onlyIf)) return null;
      if (owner !== undefined && current.attemptId !== owner) return null;
      const next = applyJobPatch(current, patch);
      const member = createdIndexMember(epochMs(current.createdAt), id);
      const keys = [this.keys.job(id), this.keys.byStatus(current.status), this.keys.byStatus(next.status)];
      const sum = summaryOps(this.keys, current, next, keys.length + 1);
      keys.push(...sum.keys);
      if ((await this.redis.eval(SWAP, keys.length, ...keys, raw, JSON.stringify(next), member, sum.ops)) === 1) return next;
    }
    throw new Error(`job ${id} changed concurrently ${MAX_SWAP_TRIES} times; update abandoned`);
  }

  /**
   * The summary's figures from the per-day and per-hour aggregates kept with every write
   * (summary-aggregates.ts): counts, sums and sorted sets, plus the records of at most one part-hour.
   * Until this Redis's aggregates are built (the layout-4 upgrade step), from the records.
   */
  async summaryFacts(sinceMs: number): Promise<JobFacts> {
    this.aggregatesBuilt ||= (await this.redis.exists(this.keys.summaryBuilt())) === 1;
    if (this.aggregatesBuilt) return aggregateFacts(this.redis, this.keys, sinceMs);
    // Not built yet (this process started while Redis was down, or another is building): build, answer meanwhile from the records.
    this.ensureSummaryAggregates().catch(() => undefined);
    return this.summaryFactsFromRecords(sinceMs);
  }

  /** `buildSummaryAggregates` once per process at a time (start-up and the summary may both ask). */
  ensureSummaryAggregates(): Promise<number> {
    this.building ??= this.buildSummaryAggregates().finally(() => {
      this.building = undefined;
    });
    return this.building;
  }

  /** The summary's figures from every record of the range: the answer before the aggregates, kept as their oracle. */
  async summaryFactsFromRecords(sinceMs: number): Promise<JobFacts> {
    const members = await this.redis.zrange(this.keys.allJobs(), '+', createdIndexFloor(sinceMs), 'BYLEX', 'REV');
    const jobs: JobRecord[] = [];
    for (let i = 0; i < members.length; i += MGET_CHUNK) {
      const values = await this.redis.mget(...members.slice(i, i + MGET_CHUNK).map((m) => this.keys.job(idOfMember(m))));
      for (const raw of values) if (raw !== null) jobs.push(JSON.parse(raw) as JobRecord);
    }
    return factsOfJobs(jobs);
  }

  /**
   * The layout-4 upgrade step: puts every record written before the aggregates into them, once per
   * Redis (then marks them built). Each record is counted in a compare-and-set script, and a put is
   * idempotent, so it is safe beside live writes and beside another process doing the same.
   * Returns how many records it counted (0 when already built).
   */
  async buildSummaryAggregates(): Promise<number> {
    if ((await this.redis.exists(this.keys.summaryBuilt())) === 1) return 0;
    let counted = 0;
    let min = '-';
    for (;;) {
      const members = await this.redis.zrange(this.keys.allJobs(), min, '+', 'BYLEX', 'LIMIT', 0, MGET_CHUNK);
      if (members.length === 0) break;
      for (const member of members) if (await this.countRecord(idOfMember(member))) counted++;
      min = `(${members[members.length - 1]}`;
    }
    await this.redis.set(this.keys.summaryBuilt(), new Date().toISOString());
    this.aggregatesBuilt = true;
    return counted;
  }

  private async countRecord(id: string): Promise<boolean> {
    for (let i = 0; i < MAX_SWAP_TRIES; i++) {
      const raw = await this.redis.get(this.keys.job(id));
      if (raw === null) return false;
      const sum = summaryOps(this.keys, null, JSON.parse(raw) as JobRecord, 2);
      if ((await this.redis.eval(COUNT_ONE, 1 + sum.keys.length, this.keys.job(id), ...sum.keys, raw, sum.ops)) === 1) return true;
    }
    throw new Error(`job ${id} changed concurrently ${MAX_SWAP_TRIES} times; not counted in the summary aggregates`);
  }

  async idsInStatus(statuses: readonly JobStatus[], limit: number): Promise<string[]> {
    const ids: string[] = [];
    for (const status of statuses) {
      const members = await this.redis.zrange(this.keys.byStatus(status), '-', '+', 'BYLEX', 'LIMIT', 0, limit);
      ids.push(...members.map(idOfMember));
    }
    return ids.slice(0, limit);
  }

  async list(options: ListOptions): Promise<JobPage> {
    if (options.client) return this.listOfClient(options.client, options);
    const index = options.status ? this.keys.byStatus(options.status) : this.keys.allJobs();
    const limit = Math.max(1, Math.floor(options.limit));
    const max = options.cursor ? `(${createdIndexMember(...decodeCursor(options.cursor))}` : '+';
    const members = await this.redis.zrange(index, max, '-', 'BYLEX', 'REV', 'LIMIT', 0, limit + 1);
    const page = members.slice(0, limit);
    const jobs = await this.load(page.map(idOfMember));
    const last = page[page.length - 1];
    const lastMs = last === undefined ? 0 : Number(last.slice(0, last.indexOf('|')));
    return { jobs, nextCursor: members.length > limit && last !== undefined ? encodeCursor([lastMs, idOfMember(last)]) : null };
  }

  async createdSince(sinceMs: number): Promise<JobRecord[]> {
    const members = await this.redis.zrange(this.keys.allJobs(), '+', createdIndexFloor(sinceMs), 'BYLEX', 'REV');
    return this.load(members.map(idOfMember));
  }

  /** One client's page: its own index, filtered by status as records load (reads bounded chunks until the page fills). */
  private async listOfClient(client: string, options: ListOptions): Promise<JobPage> {
    const limit = Math.max(1, Math.floor(options.limit));
    let max = options.cursor ? `(${createdIndexMember(...decodeCursor(options.cursor))}` : '+';
    const jobs: JobRecord[] = [];
    for (;;) {
      const members = await this.redis.zrange(this.keys.byClient(client), max, '-', 'BYLEX', 'REV', 'LIMIT', 0, limit * 2);
      for (const job of await this.load(members.map(idOfMember))) {
        if (options.status && job.status !== options.status) continue;
        jobs.push(job);
        if (jobs.length > limit) break;
      }
      if (jobs.length > limit || members.length < limit * 2) break;
      max = `(${members[members.length - 1]}`;
    }
    const page = jobs.slice(0, limit);
    const last = page[page.length - 1];
    return { jobs: page, nextCursor: jobs.length > limit && last ? encodeCursor([epochMs(last.createdAt), last.id]) : null };
  }

  async countActive(client: string): Promise<number> {
    const counts = await Promise.all(
      ACTIVE_STATUSES.map((status) => this.redis.zintercard(2, this.keys.byClient(client), this.keys.byStatus(status))),
    );
    return counts.reduce((a, b) => a + Number(b), 0);
  }

  async claimIdempotencyKey(
    client: string,
    key: string,
    jobId: string,
    ttlMs: number,
    fingerprint?: string,
  ): Promise<IdempotencyClaim | null> {
    const claim = JSON.stringify({ jobId, fingerprint: fingerprint ?? null, claimedAt: Date.now() });
    const existing = await this.redis.eval(CLAIM, 1, this.keys.idempotency(client, key), claim, String(ttlMs));
    return typeof existing === 'string' ? decodeClaim(existing) : null;
  }

  async releaseIdempotencyKey(client: string, key: string, jobId: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.keys.idempotency(client, key), jobId);
  }

  async deleteFinishedBefore(beforeMs: number, limit: number): Promise<JobRecord[]> {
    const deleted: JobRecord[] = [];
    // Indexes sort by creation time, and a job finishes after it is created: only those created before the cutoff can qualify.
    for (const status of ['completed', 'failed', 'cancelled'] as const) {
      let min = '-';
      while (deleted.length < limit) {
        const ceiling = `(${createdIndexMember(beforeMs, '')}`;
        const members = await this.redis.zrange(this.keys.byStatus(status), min, ceiling, 'BYLEX', 'LIMIT', 0, 200);
        if (members.length === 0) break;
        for (const member of members) {
          if (deleted.length >= limit) break;
          const id = idOfMember(member);
          const raw = await this.redis.get(this.keys.job(id));
          if (raw === null) continue;
          const job = JSON.parse(raw) as JobRecord;
          if (!job.finishedAt || epochMs(job.finishedAt) >= beforeMs || job.status !== status) continue;
          const keys = [
            this.keys.job(id),
            this.keys.allJobs(),
            this.keys.byStatus(status),
            this.keys.byClient(jobClient(job)),
            this.keys.deck(id),
          ];
          const sum = summaryOps(this.keys, job, null, keys.length + 1);
          keys.push(...sum.keys);
          if ((await this.redis.eval(DELETE, keys.length, ...keys, raw, member, sum.ops)) === 1) deleted.push(job);
        }
        min = `(${members[members.length - 1]}`;
      }
    }
    return deleted;
  }

  /** Fetches records (with their decks) in order, in pipelined chunks; ids whose record vanished are skipped. */
  private async load(ids: string[]): Promise<JobRecord[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (let i = 0; i < ids.length; i += MGET_CHUNK) {
      pipeline.mget(...ids.slice(i, i + MGET_CHUNK).flatMap((id) => [this.keys.job(id), this.keys.deck(id)]));
    }
    const results = (await pipeline.exec()) ?? [];
    const jobs: JobRecord[] = [];
    for (const [err, values] of results) {
      if (err) throw err;
      const pairs = values as (string | null)[];
      for (let i = 0; i < pairs.length; i += 2) {
        const raw = pairs[i];
        if (raw !== null && raw !== undefined) jobs.push(withDeck(raw, pairs[i + 1] ?? null));
      }
    }
    return jobs;
  }
}

/** A stored record with its deck put back (records from before the split carry it inline already). */
function withDeck(raw: string, deck: string | null): JobRecord {
  const job = JSON.parse(raw) as JobRecord;
  return deck === null || job.request ? job : { ...job, request: JSON.parse(deck) as JobRecord['request'] };
}
