/** One BullMQ consumer: runs the handler per job, turns outcomes into BullMQ moves, and listens for cancels. */
import os from 'node:os';
import { DelayedError, Queue, QueueEvents, WaitingChildrenError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type {
  AbortReason,
  AttemptOutcome,
  ChunkHandler,
  CloseOptions,
  GiveUpReport,
  JobHandler,
  QueuedChunk,
  WorkerHandle,
  WorkerOptions,
} from '../contract';
import type { Logger } from 'pino';
import { generationOfBullmqJobId, idOfBullmqJobId, type RedisKeys } from './keys';
import { withTimeout } from '../../shared/timeout';
import { closeRedis, connectRedis } from './redis';
import { removeHeartbeat, writeHeartbeat } from './heartbeats';
import { newWorkerId } from '../worker-id';

/** BullMQ job data: our id, the trace carrier, and when this run (or retry) became due. */
export interface BullmqJobData {
  id: string;
  carrier: Record<string, string>;
  enqueuedAt: number;
  /** The record generation this entry runs (absent on entries queued before generations: 0). */
  generation?: number;
  /** Starts interrupted by a worker shutdown: BullMQ counts them in `attemptsStarted`, we do not. */
  interrupted?: number;
  /** Set when the attempt split the job into chunks: the fence token of that attempt, which the run after the chunks resumes. */
  split?: string;
}

/** The chunk queue of a render queue: chunks of split jobs, never counted in the render queue's figures. */
export function chunkQueueName(queueName: string): string {
  return `${queueName}-chunks`;
}

/** Tries of one chunk (a failed chunk is retried alone; one that never succeeds leaves its pieces to the join). */
const CHUNK_ATTEMPTS = 3;

/** How often a running attempt's durable cancel flag is checked (pub/sub is the fast path; this one survives a missed message). */
const CANCEL_CHECK_MS = 1000;
/** BullMQ's failed reason for a job that stalled more than `maxStalledCount` times. */
export const STALLED_REASON = 'job stalled more than allowable limit';

/** Bounded retries of a Redis move (retry scheduling, hand-back) across a short Redis outage. */
const MOVE_RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000, 15_000];

/** Stalled-job tuning: a dead worker's job returns to the queue within about lockDuration + 2 × stalledInterval. */
export interface StallTuning {
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
}

/** Everything a worker needs from its backend. */
export interface BullmqWorkerDeps {
  redisUrl: string;
  queueName: string;
  client: Redis;
  keys: RedisKeys;
  logger: Logger;
  tuning: StallTuning;
}

/** A running BullMQ worker with heartbeats and cross-process cancellation. */
export class BullmqWorkerHandle implements WorkerHandle {
  readonly id = newWorkerId();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<unknown>; generation: number }>();
  private cancelCheck: NodeJS.Timeout | undefined;
  private readonly conn: Redis;
  private readonly sub: Redis;
  private readonly worker: Worker<BullmqJobData>;
  private readonly events: QueueEvents;
  private readonly eventsConn: Redis;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastBeat: number | null = null;
  private closed: Promise<void> | undefined;
  /** Chunks of split jobs: where this process adds them, and (with a chunk handler) its consumer of them. */
  private readonly chunkQueue: Queue<QueuedChunk>;
  private readonly chunkConn: Redis | undefined;
  private readonly chunkWorker: Worker<QueuedChunk> | undefined;
  private readonly chunksRunning = new Map<
    string,
    { controller: AbortController; id: string; generation: number; done: Promise<unknown> }
  >();

  constructor(
    private readonly deps: BullmqWorkerDeps,
    private readonly handler: JobHandler,
    private readonly options: WorkerOptions,
    /** Called once closed, so the backend forgets the handle. */
    private readonly onClosed: () => void = () => {},
  ) {
    this.conn = connectRedis(deps.redisUrl, true, deps.logger, 'worker');
    this.sub = connectRedis(deps.redisUrl, true, deps.logger, 'cancel-subscriber');
    this.worker = new Worker<BullmqJobData>(deps.queueName, (job, token) => this.process(job, token), {
      connection: this.conn,
      concurrency: options.concurrency,
      lockDuration: deps.tuning.lockDurationMs,
      stalledInterval: deps.tuning.stalledIntervalMs,
      maxStalledCount: deps.tuning.maxStalledCount,
      autorun: false,
    });
    this.worker.on('error', (err) => deps.logger.warn({ err }, 'bullmq worker error'));
    this.chunkQueue = new Queue<QueuedChunk>(chunkQueueName(deps.queueName), { connection: deps.client });
    this.chunkQueue.on('error', (err) => deps.logger.warn({ err }, 'bullmq chunk queue error'));
    const chunks = options.chunks;
    if (chunks) {
      this.chunkConn = connectRedis(deps.redisUrl, true, deps.logger, 'chunk-worker');
      this.chunkWorker = new Worker<QueuedChunk>(chunkQueueName(deps.queueName), (job, token) => this.runChunk(chunks, job, token), {
        connection: this.chunkConn,
        concurrency: options.concurrency,
        lockDuration: deps.tuning.lockDurationMs,
        stalledInterval: deps.tuning.stalledIntervalMs,
        maxStalledCount: deps.tuning.maxStalledCount,
        autorun: false,
      });
      this.chunkWorker.on('error', (err) => deps.logger.warn({ err }, 'bullmq chunk worker error'));
    }
    // A job stalled past maxStalledCount is failed by the worker that next takes it (this event, here),
    // or by another process (the queue's event stream, below): both report, the status machine lets one win.
    this.worker.on('failed', (job, err) => {
      if (job) void this.onGaveUp(job.id ?? '', err.message);
    });
    this.eventsConn = connectRedis(deps.redisUrl, true, deps.logger, 'queue-events');
    this.events = new QueueEvents(deps.queueName, { connection: this.eventsConn, autorun: false });
    this.events.on('failed', ({ jobId, failedReason }) => void this.onGaveUp(jobId, failedReason));
    this.events.on('error', (err) => deps.logger.warn({ err }, 'bullmq queue events error'));
  }

  /** Reports a job BullMQ failed (it never runs that entry again) so the lifecycle fails its record. */
  private async onGaveUp(jobId: string, failedReason: string): Promise<void> {
    const id = idOfBullmqJobId(jobId);
    if (!id) return;
    const reason = failedReason === STALLED_REASON ? 'stalled' : 'failed-by-queue';
    this.deps.logger.warn({ job_id: id, reason: failedReason }, 'the queue gave up on the job');
    await this.report({ id, generation: generationOfBullmqJobId(jobId), reason, detail: failedReason });
  }

  private async report(report: GiveUpReport): Promise<void> {
    await this.options
      .onGaveUp(report)
      .catch((err: unknown) => this.deps.logger.error({ err, job_id: report.id }, 'give-up report failed'));
  }

  /** Subscribes to cancels, starts heartbeats and begins consuming. */
  async start(): Promise<void> {
    this.sub.on('message', (_channel, id: string) => this.abort(id, 'cancelled'));
    // Not awaited: a worker started while Redis is down waits for it (ioredis reconnects with backoff
    // and resubscribes) instead of exiting; the durable cancel flags cover messages missed meanwhile.
    this.sub.subscribe(this.deps.keys.cancelChannel()).catch((err) => this.deps.logger.warn({ err }, 'cancel channel subscribe failed'));
    void this.events.run().catch((err) => this.deps.logger.warn({ err }, 'bullmq queue events stopped'));
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), this.options.heartbeatMs);
    this.heartbeat.unref();
    this.cancelCheck = setInterval(() => void this.checkCancelFlags(), CANCEL_CHECK_MS);
    this.cancelCheck.unref();
    void this.worker.run().catch((err) => this.deps.logger.error({ err }, 'bullmq worker stopped'));
    void this.chunkWorker?.run().catch((err) => this.deps.logger.error({ err }, 'bullmq chunk worker stopped'));
  }

  /** Runs one chunk; a shutdown hands it back untried, a cancel ends it, a failure ends this try (BullMQ retries it). */
  private async runChunk(handler: ChunkHandler, job: Job<QueuedChunk>, token?: string): Promise<void> {
    const controller = new AbortController();
    const key = job.id ?? '';
    const done = handler({ ...job.data, enqueuedAt: job.timestamp }, controller.signal);
    this.chunksRunning.set(key, { controller, id: job.data.id, generation: job.data.generation, done: done.catch(() => undefined) });
    try {
      await done;
    } catch (err) {
      // A cancelled job's chunk is done with: nothing to retry, and its job's entry goes on to settle.
      if (controller.signal.reason === 'cancelled') return;
      if (controller.signal.reason !== 'shutdown') throw err;
      await this.retryMove('chunk hand-back', job.data.id, () => job.moveToDelayed(Date.now(), token));
      throw new DelayedError();
    } finally {
      this.chunksRunning.delete(key);
    }
  }

  /** Aborts running attempts whose durable cancel flag is set (a cancel whose pub/sub message this process missed). */
  private async checkCancelFlags(): Promise<void> {
    const runs: [string, { generation: number }][] = [
      ...this.running.entries(),
      ...[...this.chunksRunning.values()].map((c): [string, { generation: number }] => [c.id, c]),
    ];
    if (runs.length === 0) return;
    try {
      const flags = await withTimeout(
        this.deps.client.mget(...runs.map(([id, r]) => this.deps.keys.cancelFlag(id, r.generation))),
        CANCEL_CHECK_MS * 2,
        'cancel flags',
      );
      runs.forEach(([id], i) => {
        if (flags[i] !== null) this.abort(id, 'cancelled');
      });
    } catch (err) {
      this.deps.logger.debug({ err }, 'cancel flag check failed');
    }
  }

  lastHeartbeatAt(): number | null {
    return this.lastBeat;
  }

  /** Aborts the attempt of `id` if this process runs it. */
  abort(id: string, reason: AbortReason): void {
    this.running.get(id)?.controller.abort(reason);
    for (const chunk of this.chunksRunning.values()) if (chunk.id === id) chunk.controller.abort(reason);
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.closed ??= this.shutdown(options.drainMs ?? 0);
    return this.closed;
  }

  private async shutdown(drainMs: number): Promise<void> {
    // Stop fetching first; let running attempts finish for up to drainMs (heartbeats and cancel checks
    // go on), then abort the rest: each aborted attempt hands its job back before BullMQ finishes closing.
    const stopping = this.worker.close();
    const chunksStopping = this.chunkWorker?.close();
    if (this.running.size > 0 && drainMs > 0) {
      this.deps.logger.info({ running: this.running.size, drain_ms: drainMs }, 'draining: letting running attempts finish');
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.running.values()].map((r) => r.done)),
        new Promise((r) => (deadline = setTimeout(r, drainMs))),
      ]);
      clearTimeout(deadline);
    }
    clearInterval(this.heartbeat);
    clearInterval(this.cancelCheck);
    for (const run of [...this.running.values(), ...this.chunksRunning.values()]) run.controller.abort('shutdown' satisfies AbortReason);
    await Promise.allSettled([...this.running.values(), ...this.chunksRunning.values()].map((r) => r.done));
    await withTimeout(chunksStopping ?? Promise.resolve(), 5000, 'bullmq chunk worker close').catch(() =>
      this.chunkWorker?.close(true).catch(() => {}),
    );
    await withTimeout(this.chunkQueue.close(), 2000, 'bullmq chunk queue close').catch(() => {});
    await withTimeout(stopping, 5000, 'bullmq worker close').catch((err) => {
      this.deps.logger.warn({ err }, 'bullmq worker did not close in time; forcing');
      return this.worker.close(true).catch(() => {});
    });
    await withTimeout(removeHeartbeat(this.deps.client, this.deps.keys, this.id), 1000, 'heartbeat removal').catch(() => {});
    await withTimeout(this.events.close(), 2000, 'queue events close').catch(() => {});
    await Promise.all([
      closeRedis(this.sub),
      closeRedis(this.conn),
      closeRedis(this.eventsConn),
      ...(this.chunkConn ? [closeRedis(this.chunkConn)] : []),
    ]);
    this.onClosed();
  }

  private async process(job: Job<BullmqJobData>, token?: string): Promise<void> {
    const { id, carrier, enqueuedAt } = job.data;
    const generation = job.data.generation ?? 0;
    const interrupted = job.data.interrupted ?? 0;
    // A split entry runs again only once its chunks have settled; after a crash between adding them and
    // waiting for them, it goes back to waiting (the crash still counts when it resumes).
    if (job.data.split !== undefined && (await job.moveToWaitingChildren(token ?? ''))) throw new WaitingChildrenError();
    const controller = new AbortController();
    // A crash (stalled job) counts as an attempt; a start interrupted by a clean shutdown does not.
    const attemptNo = Math.max(1, job.attemptsStarted - interrupted);
    const attempt = this.handler(
      { id, attempt: attemptNo, carrier, enqueuedAt, generation, resumedAttempt: job.data.split },
      controller.signal,
    ).catch(async (err): Promise<AttemptOutcome> => {
      this.deps.logger.error({ err, job_id: id }, 'job handler threw; the job is dropped (handlers must not throw)');
      await this.report({ id, generation, reason: 'handler-threw', detail: err instanceof Error ? err.message : String(err) });
      return { kind: 'failed' };
    });
    this.running.set(id, { controller, done: attempt, generation });
    let outcome: AttemptOutcome;
    try {
      outcome = await attempt;
    } finally {
      this.running.delete(id);
    }
    if (controller.signal.reason === 'shutdown') {
      // Hand the job straight back without consuming an attempt; if Redis stays gone, stalled recovery does it later (counted).
      await this.retryMove('hand-back', id, async () => {
        await job.updateData({ ...job.data, interrupted: interrupted + 1, split: undefined });
        await job.moveToDelayed(Date.now(), token);
      });
      throw new DelayedError();
    }
    if (outcome.kind === 'split') {
      // The chunks become children of this entry; it waits for them and runs again (the same attempt:
      // not counted, `split` set) on whichever worker takes it once they have all settled. A chunk that
      // fails every try is ignored, so the resumed run encodes its pieces itself.
      await job.updateData({ ...job.data, interrupted: interrupted + 1, split: outcome.attemptId });
      const parent = { id: job.id ?? '', queue: job.queueQualifiedName };
      await this.chunkQueue.addBulk(
        outcome.chunks.map((chunk) => ({
          name: 'chunk',
          data: { ...chunk, id, generation, attemptId: outcome.attemptId },
          opts: {
            parent,
            attempts: CHUNK_ATTEMPTS,
            backoff: { type: 'fixed', delay: 500 },
            ignoreDependencyOnFailure: true,
            removeOnComplete: true,
            removeOnFail: true,
          },
        })),
      );
      if (await job.moveToWaitingChildren(token ?? '')) throw new WaitingChildrenError();
      // Every chunk settled already: run again now.
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    if (outcome.kind === 'retry') {
      const runAt = Date.now() + Math.max(0, outcome.delayMs);
      // A Redis blip must not turn a scheduled retry into a failure: retry the move (bounded); if it
      // never lands the job stays active and stalled recovery runs it again, never WORKER_LOST.
      await this.retryMove('retry scheduling', id, async () => {
        await job.updateData({ ...job.data, enqueuedAt: runAt, split: undefined });
        await job.moveToDelayed(runAt, token);
      });
      throw new DelayedError();
    }
  }

  /** Runs a Redis move, retrying over a short outage; gives up quietly (logged) after the last delay. */
  private async retryMove(what: string, id: string, move: () => Promise<void>): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        await withTimeout(move(), 5000, what);
        return;
      } catch (err) {
        const delay = MOVE_RETRY_DELAYS_MS[i];
        // A lost lock means another worker owns the job now; retrying cannot help.
        if (delay === undefined || /lock/i.test(String((err as Error)?.message))) {
          this.deps.logger.error({ err, job_id: id }, `${what} failed; stalled-job recovery will pick the job up`);
          return;
        }
        this.deps.logger.warn({ err, job_id: id, retry_in_ms: delay }, `${what} failed; retrying`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    try {
      const info = {
        id: this.id,
        hostname: os.hostname(),
        pid: process.pid,
        concurrency: this.options.concurrency,
        active: this.running.size,
      };
      await withTimeout(
        writeHeartbeat(this.deps.client, this.deps.keys, info, this.options.heartbeatMs, now),
        this.options.heartbeatMs,
        'heartbeat',
      );
      this.lastBeat = now;
    } catch (err) {
      this.deps.logger.warn({ err }, 'worker heartbeat failed');
    }
  }
}
