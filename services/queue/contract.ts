/**
 * The queue contract. Two backends implement it: `embedded` (SQLite, in-process, the default) and
 * `bullmq` (Redis, many processes on many machines). Each backend owns its connections: it opens
 * them in its factory and closes them in `close()`; callers never see a Redis or SQLite handle.
 *
 * Split of duties:
 * - The backend stores job records (`JobStore`), moves queue entries (waiting → active → done or
 *   delayed), recovers work interrupted by a crash (embedded: on start; bullmq: stalled-job
 *   checks), delivers cancellation to whichever process runs the job, and reports queue figures.
 * - The worker's handler decides what an attempt's outcome means (complete, retry after a delay,
 *   fail, cancelled) and has the lifecycle service (services/jobs) write the job record's status;
 *   the backend only schedules accordingly. When the backend itself stops running a job (BullMQ:
 *   stalled past its limit; either: a handler that threw), it never writes the record: it reports
 *   the give-up to `WorkerOptions.onGaveUp`, and the lifecycle service fails the job.
 */
import type { Redis } from 'ioredis';
import type { JobRecord, JobStatus, StatusChange } from '../shared/job';
import type { JobFacts } from '../shared/stats';
import type { QueueCounts, WorkerInfo } from '../shared/queue-state';

export type { QueueCounts, WorkerInfo };

/** Paging and filtering for `JobStore.list`, newest first. */
export interface ListOptions {
  status?: JobStatus;
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
  /** Only this client's jobs (records without a client belong to `anonymous`); all jobs when absent. */
  client?: string;
}

/** One page of jobs, newest first. */
export interface JobPage {
  jobs: JobRecord[];
  nextCursor: string | null;
}

/**
 * Fields a write may change; `id`, `request` and `createdAt` never change, and the status only
 * through `JobStore.transition` (a `StatusChange` from the status machine in services/shared/job.ts).
 */
export type JobPatch = Partial<Omit<JobRecord, 'id' | 'request' | 'createdAt' | 'status'>> & { status?: never };

/**
 * What an Idempotency-Key names: the job it was claimed for, the fingerprint of the request that
 * claimed it (null for a claim written by a release that kept none) and when it was claimed.
 */
export interface IdempotencyClaim {
  jobId: string;
  fingerprint: string | null;
  claimedAtMs: number;
}

/** Durable job records: the one source of truth every API replica reads. */
export interface JobStore {
  create(job: JobRecord): Promise<void>;
  get(id: string): Promise<JobRecord | null>;
  /**
   * Applies `patch` (never a status) and returns the new record. When `onlyIf` is given, writes
   * only if the current status is one of them (returns null otherwise). When `owner` is given,
   * writes only if the record's `attemptId` is `owner`: the fence that lets exactly one of two
   * attempts of the same job write it.
   */
  update(id: string, patch: JobPatch, onlyIf?: readonly JobStatus[], owner?: string): Promise<JobRecord | null>;
  /**
   * The one status write: moves the job to `change.to` with `patch`, atomically, only if its
   * current status is one of `change.from` (and, with `owner`, this attempt owns it); returns the
   * new record, or null when the guard refused (a late worker cannot overwrite a cancellation).
   * Only the lifecycle service (services/jobs) calls it.
   */
  transition(id: string, change: StatusChange, patch: JobPatch, owner?: string): Promise<JobRecord | null>;
  /**
   * `update` without reading back the deck: for the small, frequent writes (progress, stage) that do
   * not need the record. Resolves true when the write landed.
   */
  patchState(id: string, patch: JobPatch, onlyIf?: readonly JobStatus[], owner?: string): Promise<boolean>;
  list(options: ListOptions): Promise<JobPage>;
  /** Every job created at or after `sinceMs` (epoch ms), for the admin summary. */
  createdSince(sinceMs: number): Promise<JobRecord[]>;
  /**
   * The admin summary's job figures over jobs created at or after `sinceMs`, aggregated by the store
   * itself (SQL aggregates / indexes) instead of handing every job over.
   */
  summaryFacts(sinceMs: number): Promise<JobFacts>;
  /** Ids of jobs in one of `statuses` (reconciler), oldest first, at most `limit`. */
  idsInStatus(statuses: readonly JobStatus[], limit: number): Promise<string[]>;
  /** How many of `client`'s jobs are queued, processing or retrying (the per-client cap). */
  countActive(client: string): Promise<number>;
  /**
   * Records that `client`'s `key` names `jobId` (and the request's `fingerprint`) for `ttlMs`,
   * unless the key is already recorded: then returns that claim (an idempotent retry, a reuse with
   * another body, or a first request still in flight) and records nothing.
   */
  claimIdempotencyKey(client: string, key: string, jobId: string, ttlMs: number, fingerprint?: string): Promise<IdempotencyClaim | null>;
  /** Forgets a claim whose job was never created (the submission failed after claiming). */
  releaseIdempotencyKey(client: string, key: string, jobId: string): Promise<void>;
  /**
   * Deletes up to `limit` records of jobs that finished (completed, failed, cancelled) before
   * `beforeMs` and returns them, so the caller can delete their outputs (RENDER_RETENTION).
   */
  deleteFinishedBefore(beforeMs: number, limit: number): Promise<JobRecord[]>;
}

/** One webhook delivery waiting in the outbox; `payload` is the JSON the delivery function is given. */
export interface OutboxEntry {
  /** Stable across every try, also after a restart: sent as `X-Render-Event-Id` so receivers can deduplicate. */
  eventId: string;
  jobId: string;
  event: string;
  payload: string;
  /** Tries so far. */
  attempts: number;
}

/**
 * Durable webhook deliveries (SQLite or Redis, with the job records): written when the event happens,
 * removed once delivered, so a delivery pending at shutdown or crash is sent after the restart.
 */
export interface WebhookOutbox {
  add(entry: Omit<OutboxEntry, 'attempts'>): Promise<void>;
  /**
   * Leases up to `limit` entries due at `now` (each hidden from other takers until `now + leaseMs`),
   * so a crash mid-delivery only delays a retry, and two processes rarely send the same entry.
   */
  take(now: number, leaseMs: number, limit: number): Promise<OutboxEntry[]>;
  /** Leases one entry by id if it is due (the fast path right after `add`). */
  takeOne(eventId: string, now: number, leaseMs: number): Promise<OutboxEntry | null>;
  /** Delivered (or given up): forget it. */
  remove(eventId: string): Promise<void>;
  /** Failed this time: try again at `nextAt`, with `attempts` recorded. */
  reschedule(eventId: string, attempts: number, nextAt: number): Promise<void>;
  /** Entries still waiting (tests, admin). */
  size(): Promise<number>;
}

/** What the backend hands the worker for one attempt. */
export interface QueuedJob {
  id: string;
  /** 1-based: how many times processing of this job has started, counting this one. */
  attempt: number;
  /** W3C trace context captured at enqueue. */
  carrier: Record<string, string>;
  /** When the job (or its retry) entered the queue, epoch ms. */
  enqueuedAt: number;
  /** The record generation this entry was enqueued for (see `JobRecord.generation`). */
  generation: number;
  /**
   * Set when this run resumes an attempt that split its deck into chunks (`AttemptOutcome` `split`),
   * once they have settled: that attempt's fence token. The same attempt goes on, it is not a new start.
   */
  resumedAttempt?: string;
}

/** One chunk of a split job: encode the pieces of slides `first` … `first + count - 1` into the piece cache. */
export interface ChunkSpec {
  first: number;
  count: number;
  /** Every slide's length in seconds (the frame plan rounds on the running total, so a chunk needs all of them). */
  seconds: number[];
  /** W3C trace context of the attempt that split the job: the chunk's span joins its trace. */
  carrier: Record<string, string>;
}

/** What a chunk worker is handed. */
export interface QueuedChunk extends ChunkSpec {
  /** The job it belongs to, and the record generation it was split for (a chunk of an older one does nothing). */
  id: string;
  generation: number;
  /** The record's fence token of the attempt that split it (a chunk of another attempt does nothing). */
  attemptId: string;
  /** When the chunk was queued, epoch ms (its span records the wait); absent when unknown. */
  enqueuedAt?: number;
}

/**
 * Runs one chunk. Unlike a `JobHandler` it throws on failure: the backend retries that chunk alone,
 * and a chunk that never succeeds leaves its pieces to the job's own join. It never changes the job's record.
 */
export type ChunkHandler = (chunk: QueuedChunk, signal: AbortSignal) => Promise<void>;

/** The handler's verdict on one attempt; the backend schedules accordingly. */
export type AttemptOutcome =
  | { kind: 'completed' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'failed' }
  | { kind: 'cancelled' }
  /**
   * The attempt handed its deck's pieces out as chunks (only on a backend with `splits`): the backend
   * queues them as children of the job's entry and runs the same attempt again, `resumed`, once every
   * chunk has settled (done or given up).
   */
  | { kind: 'split'; attemptId: string; chunks: ChunkSpec[] };

/** Why the backend aborted a running attempt (`signal.reason`). */
export type AbortReason = 'cancelled' | 'shutdown';

/**
 * Runs one attempt; must not throw. The backend aborts `signal` with reason `'cancelled'` when a
 * user cancels the job, and `'shutdown'` when the worker closes (after its drain time): after a
 * shutdown abort the backend ignores the outcome and hands the entry back to the queue without
 * counting the interrupted start as an attempt.
 */
export type JobHandler = (job: QueuedJob, signal: AbortSignal) => Promise<AttemptOutcome>;

/** Why a backend stopped running a job's entry without the handler's verdict. */
export type GiveUpReason =
  /** Its attempts kept stalling (the worker running it died) more often than the backend allows. */
  | 'stalled'
  /** The handler threw instead of returning an outcome (a bug: handlers must not throw). */
  | 'handler-threw'
  /** The queue failed the entry for a reason of its own (its words are in `detail`). */
  | 'failed-by-queue';

/** A backend's report that it will not run this generation of the job again. */
export interface GiveUpReport {
  id: string;
  generation: number;
  reason: GiveUpReason;
  /** The backend's own words (BullMQ's failed reason, the thrown message), for the job's error. */
  detail: string;
}

/** How a worker consumes. */
export interface WorkerOptions {
  concurrency: number;
  heartbeatMs: number;
  /**
   * Where the backend reports a job it gave up on (may be called more than once for one job, from
   * several processes; the status machine lets only the first one fail it). Must not reject.
   */
  onGaveUp: (report: GiveUpReport) => Promise<void>;
  /** Runs the chunks of split jobs (a backend with `splits` consumes its chunk queue with it). */
  chunks?: ChunkHandler;
}

/** How a worker closes: `drainMs` lets running attempts finish for that long before they are aborted. */
export interface CloseOptions {
  drainMs?: number;
}

/**
 * A running consumer; `close()` stops taking jobs at once, lets running ones finish for up to
 * `drainMs` (default 0), then aborts the rest with `'shutdown'` (handed back, attempt not consumed)
 * and waits for them.
 */
export interface WorkerHandle {
  readonly id: string;
  /** Epoch ms of the last heartbeat the backend accepted, or null before the first. */
  lastHeartbeatAt(): number | null;
  close(options?: CloseOptions): Promise<void>;
}

/** Result of a cancel request. */
export type CancelResult = 'removed-from-queue' | 'signalled-running' | 'not-found';

/** The queue contract every backend implements. */
export interface QueueBackend {
  readonly kind: 'embedded' | 'bullmq';
  /** The value of `messaging.system` on queue spans. */
  readonly messagingSystem: string;
  /** The queue's name (`messaging.destination.name`). */
  readonly queueName: string;
  /**
   * True when an attempt may split its job into chunks other workers run (BullMQ: child jobs on a
   * queue of their own, never counted in `counts()`); the embedded backend encodes a deck in one process.
   */
  readonly splits: boolean;
  readonly store: JobStore;
  /**
   * Where state every API process must share lives (the per-client submission rate): a Redis
   * backend's connection and key prefix; absent on the embedded backend (one API process).
   */
  readonly sharedState?: { readonly redis: Redis; readonly submitRatePrefix: string };
  /** Durable webhook deliveries, stored next to the job records. */
  readonly outbox: WebhookOutbox;
  /**
   * Puts an already-stored job on the queue, after `delayMs`, for record `generation` (default 0).
   * Idempotent per generation; a newer generation replaces an older entry, or (when that one is
   * running) takes its place as soon as the running attempt settles.
   */
  enqueue(id: string, carrier: Record<string, string>, delayMs?: number, generation?: number): Promise<void>;
  /** True when the queue holds an entry (waiting, delayed or running) for this generation of the job (reconciler). */
  hasEntry(id: string, generation: number): Promise<boolean>;
  /** Removes a waiting job, or asks the process running it to abort. */
  cancel(id: string): Promise<CancelResult>;
  counts(): Promise<QueueCounts>;
  /** Resolves when the backend answers; rejects with the reason otherwise (readiness). */
  ping(): Promise<void>;
  /** Starts consuming with `concurrency` parallel jobs. */
  startWorker(handler: JobHandler, options: WorkerOptions): Promise<WorkerHandle>;
  /** Workers that heartbeated recently. */
  workers(): Promise<WorkerInfo[]>;
  close(): Promise<void>;
}
