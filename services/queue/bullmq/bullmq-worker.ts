/** One BullMQ consumer: runs the handler per job, turns outcomes into BullMQ moves, and listens for cancels. */
import os from 'node:os';
import { DelayedError, QueueEvents, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AbortReason, AttemptOutcome, JobHandler, WorkerHandle } from '../contract';
import type { Logger } from '../../telemetry/logger';
import { idOfBullmqJobId, type RedisKeys } from './keys';
import type { JobStore } from '../contract';
import { WorkerLostError } from '../../shared/errors/worker-lost-error';
import { recordError, recordJobStatus } from '../../telemetry/metrics';
import { withTimeout } from '../../shared/timeout';
import { closeRedis, connectRedis } from './redis';
import { removeHeartbeat, writeHeartbeat } from './heartbeats';
import { newWorkerId } from '../worker-id';

/** BullMQ job data: our id, the trace carrier, and when this run (or retry) became due. */
export interface BullmqJobData {
  id: string;
  carrier: Record<string, string>;
  enqueuedAt: number;
}

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
  store: JobStore;
}

/** A running BullMQ worker with heartbeats and cross-process cancellation. */
export class BullmqWorkerHandle implements WorkerHandle {
  readonly id = newWorkerId();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<unknown> }>();
  private readonly conn: Redis;
  private readonly sub: Redis;
  private readonly worker: Worker<BullmqJobData>;
  private readonly events: QueueEvents;
  private readonly eventsConn: Redis;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastBeat: number | null = null;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly deps: BullmqWorkerDeps,
    private readonly handler: JobHandler,
    private readonly options: { concurrency: number; heartbeatMs: number },
    /** Called once closed, so the backend forgets the handle. */
    private readonly onClosed: () => void = () => {},
  ) {
    this.conn = connectRedis(deps.redisUrl, true);
    this.sub = connectRedis(deps.redisUrl, true);
    this.worker = new Worker<BullmqJobData>(deps.queueName, (job, token) => this.process(job, token), {
      connection: this.conn,
      concurrency: options.concurrency,
      lockDuration: deps.tuning.lockDurationMs,
      stalledInterval: deps.tuning.stalledIntervalMs,
      maxStalledCount: deps.tuning.maxStalledCount,
      autorun: false,
    });
    this.worker.on('error', (err) => deps.logger.warn({ err }, 'bullmq worker error'));
    this.worker.on('failed', (job, err) => deps.logger.error({ err, job_id: job?.data.id }, 'bullmq failed a job'));
    // A job stalled past maxStalledCount is failed inside Redis by whichever worker checks; only the
    // queue's event stream tells, so every worker listens and the first record update wins.
    this.eventsConn = connectRedis(deps.redisUrl, true);
    this.events = new QueueEvents(deps.queueName, { connection: this.eventsConn, autorun: false });
    this.events.on('failed', ({ jobId, failedReason }) => void this.onGaveUp(jobId, failedReason));
    this.events.on('error', (err) => deps.logger.warn({ err }, 'bullmq queue events error'));
  }

  /** Marks the record of a job BullMQ gave up on as failed, so it never stays `processing` forever. */
  private async onGaveUp(jobId: string, reason: string): Promise<void> {
    const id = idOfBullmqJobId(jobId);
    if (!id) return;
    const err = new WorkerLostError(reason);
    try {
      const failed = await this.deps.store.update(id, { status: 'failed', error: err.toJobError(), finishedAt: new Date().toISOString() }, [
        'queued',
        'processing',
        'retrying',
      ]);
      if (!failed) return;
      recordJobStatus('failed');
      recordError(err.category, false);
      this.deps.logger.error({ job_id: id, reason }, 'the queue gave up on the job: marked failed');
    } catch (e) {
      this.deps.logger.warn({ err: e, job_id: id }, 'could not mark an abandoned job failed');
    }
  }

  /** Subscribes to cancels, starts heartbeats and begins consuming. */
  async start(): Promise<void> {
    this.sub.on('message', (_channel, id: string) => this.abort(id, 'cancelled'));
    await withTimeout(this.sub.subscribe(this.deps.keys.cancelChannel()), 5000, 'cancel channel subscribe');
    void this.events.run().catch((err) => this.deps.logger.warn({ err }, 'bullmq queue events stopped'));
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), this.options.heartbeatMs);
    this.heartbeat.unref();
    void this.worker.run().catch((err) => this.deps.logger.error({ err }, 'bullmq worker stopped'));
  }

  lastHeartbeatAt(): number | null {
    return this.lastBeat;
  }

  /** Aborts the attempt of `id` if this process runs it. */
  abort(id: string, reason: AbortReason): void {
    this.running.get(id)?.controller.abort(reason);
  }

  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    // Stop fetching first, then abort: each aborted attempt hands its job back before BullMQ finishes closing.
    const stopping = this.worker.close();
    for (const run of this.running.values()) run.controller.abort('shutdown' satisfies AbortReason);
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await withTimeout(stopping, 5000, 'bullmq worker close').catch((err) => {
      this.deps.logger.warn({ err }, 'bullmq worker did not close in time; forcing');
      return this.worker.close(true).catch(() => {});
    });
    await withTimeout(removeHeartbeat(this.deps.client, this.deps.keys, this.id), 1000, 'heartbeat removal').catch(() => {});
    await withTimeout(this.events.close(), 2000, 'queue events close').catch(() => {});
    await Promise.all([closeRedis(this.sub), closeRedis(this.conn), closeRedis(this.eventsConn)]);
    this.onClosed();
  }

  private async process(job: Job<BullmqJobData>, token?: string): Promise<void> {
    const { id, carrier, enqueuedAt } = job.data;
    const controller = new AbortController();
    const attempt = this.handler({ id, attempt: job.attemptsStarted, carrier, enqueuedAt }, controller.signal).catch(
      (err): AttemptOutcome => {
        this.deps.logger.error({ err, job_id: id }, 'job handler threw; the job is dropped (handlers must not throw)');
        return { kind: 'failed' };
      },
    );
    this.running.set(id, { controller, done: attempt });
    let outcome: AttemptOutcome;
    try {
      outcome = await attempt;
    } finally {
      this.running.delete(id);
    }
    if (controller.signal.reason === 'shutdown') {
      // Hand the job straight back (attempt + 1 when it restarts); if Redis is gone, stalled recovery does it later.
      await job.moveToDelayed(Date.now(), token).catch(() => {});
      throw new DelayedError();
    }
    if (outcome.kind === 'retry') {
      const runAt = Date.now() + Math.max(0, outcome.delayMs);
      await job.updateData({ ...job.data, enqueuedAt: runAt });
      await job.moveToDelayed(runAt, token);
      throw new DelayedError();
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
