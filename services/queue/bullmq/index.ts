/** The BullMQ backend: Redis holds the queue, the job records and worker heartbeats, shared by every process. */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CancelResult, JobHandler, QueueBackend, QueueCounts, WorkerHandle, WorkerInfo, WorkerOptions } from '../contract';
import type { Config } from '../../shared/config';
import type { Logger } from 'pino';
import { bullmqJobId, RedisKeys } from './keys';
import { withTimeout } from '../../shared/timeout';
import { closeRedis, connectRedis } from './redis';
import { RedisJobStore } from './redis-job-store';
import { RedisOutbox } from './redis-outbox';
import { listWorkers } from './heartbeats';
import { BullmqWorkerHandle, type BullmqJobData, type StallTuning } from './bullmq-worker';

/** Optional tuning; production keeps the defaults (recovery of a dead worker's job within ~30 s). */
export type BullmqOptions = Partial<StallTuning> & { pingTimeoutMs?: number };

/**
 * Version 2: decks under their own keys, generations in BullMQ job ids, durable cancel flags, the webhook outbox.
 * Version 3: an idempotency key's value is a JSON claim (job id, request fingerprint, claim time); a
 * bare job id left by version 2 still reads, as a claim without a fingerprint.
 * Version 4: the admin summary's aggregates per day and hour (summary-entries.ts), kept by every
 * record write; the records already there are put in once (`buildSummaryAggregates`), and until then
 * the summary reads the records as before.
 */
export const REDIS_LAYOUT_VERSION = 4;

/** A cancel flag outlives any attempt it could concern (the encode timeout is at most 6 h). */
const CANCEL_FLAG_TTL_S = 24 * 3600;

const DEFAULT_TUNING: StallTuning = { lockDurationMs: 10_000, stalledIntervalMs: 10_000, maxStalledCount: 5 };

/** `QueueBackend` over Redis with BullMQ. */
export class BullmqBackend implements QueueBackend {
  readonly kind = 'bullmq' as const;
  readonly splits = true;
  readonly messagingSystem = 'bullmq';
  readonly store: RedisJobStore;
  readonly outbox: RedisOutbox;
  readonly sharedState: QueueBackend['sharedState'];
  private readonly keys: RedisKeys;
  private readonly queue: Queue<BullmqJobData>;
  private readonly workerSet = new Set<BullmqWorkerHandle>();
  private closed: Promise<void> | undefined;

  constructor(
    readonly queueName: string,
    private readonly redisUrl: string,
    private readonly client: Redis,
    private readonly logger: Logger,
    private readonly tuning: StallTuning,
    private readonly pingTimeoutMs: number,
  ) {
    this.keys = new RedisKeys(queueName);
    this.sharedState = { redis: client, submitRatePrefix: this.keys.submitRatePrefix() };
    this.store = new RedisJobStore(client, this.keys);
    this.outbox = new RedisOutbox(client, this.keys);
    this.queue = new Queue<BullmqJobData>(queueName, { connection: client });
    this.queue.on('error', (err) => logger.warn({ err }, 'bullmq queue error'));
    void this.checkLayout();
  }

  /**
   * Records the key-layout version (absent means 1: records with their deck inline, which this code
   * still reads) and warns when Redis holds a layout newer than this release understands.
   */
  private async checkLayout(): Promise<void> {
    try {
      await this.client.set(this.keys.layout(), String(REDIS_LAYOUT_VERSION), 'NX');
      const found = Number(await this.client.get(this.keys.layout()));
      // Older layouts are read as they are (each step reads what the one before wrote); the
      // version then says what this release has started writing.
      if (found < REDIS_LAYOUT_VERSION) await this.client.set(this.keys.layout(), String(REDIS_LAYOUT_VERSION));
      if (found > REDIS_LAYOUT_VERSION) {
        this.logger.error(
          { found, supported: REDIS_LAYOUT_VERSION },
          'Redis holds a newer key layout than this release; upgrade render-o11y',
        );
      }
      const counted = await this.store.ensureSummaryAggregates();
      if (counted > 0) this.logger.info({ counted }, 'summary aggregates built from the existing job records');
    } catch (err) {
      this.logger.debug({ err }, 'key-layout check skipped (Redis unreachable)');
    }
  }

  async enqueue(id: string, carrier: Record<string, string>, delayMs = 0, generation = 0): Promise<void> {
    const delay = Math.max(0, delayMs);
    // Each generation is its own BullMQ job: a retry right after a cancel does not collide with the
    // cancelled attempt still winding down (which then only settles its own entry).
    await this.queue.add(
      'render',
      { id, carrier, enqueuedAt: Date.now() + delay, generation },
      { jobId: bullmqJobId(id, generation), delay, removeOnComplete: true, removeOnFail: true },
    );
  }

  async hasEntry(id: string, generation: number): Promise<boolean> {
    const job = await this.queue.getJob(bullmqJobId(id, generation));
    if (!job) return false;
    const state = await job.getState();
    return state !== 'completed' && state !== 'failed' && state !== 'unknown';
  }

  async cancel(id: string): Promise<CancelResult> {
    const record = await this.store.get(id);
    const generation = record?.generation ?? 0;
    const job = await this.queue.getJob(bullmqJobId(id, generation));
    if (!job) return 'not-found';
    const state = await job.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
      try {
        await job.remove();
        return 'removed-from-queue';
      } catch {
        // A worker took it between our read and the removal (it is locked now): signal it instead.
      }
    } else if (state === 'waiting-children') {
      // Split into chunks: the entry and the chunks not yet taken go; running chunks are signalled below.
      await job.remove({ removeChildren: true }).catch(() => undefined);
    } else if (state !== 'active') {
      return 'not-found';
    }
    // Durable first (the running worker checks it every second, whatever it missed), then the fast path.
    await this.client.set(this.keys.cancelFlag(id, generation), '1', 'EX', CANCEL_FLAG_TTL_S);
    await this.client.publish(this.keys.cancelChannel(), id);
    return 'signalled-running';
  }

  async counts(): Promise<QueueCounts> {
    // A job waiting for its chunks is running; the chunks (their own queue) are never counted.
    const c = await this.queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'waiting-children');
    const [oldest] = await this.queue.getWaiting(0, 0);
    const enqueuedAt = oldest ? (oldest.data.enqueuedAt ?? oldest.timestamp) : null;
    return {
      waiting: (c.wait ?? 0) + (c.prioritized ?? 0),
      active: (c.active ?? 0) + (c['waiting-children'] ?? 0),
      delayed: c.delayed ?? 0,
      oldestWaitingAgeSeconds: enqueuedAt === null ? 0 : Math.max(0, (Date.now() - enqueuedAt) / 1000),
    };
  }

  async ping(): Promise<void> {
    await withTimeout(this.client.ping(), this.pingTimeoutMs, 'redis ping');
  }

  async startWorker(handler: JobHandler, options: WorkerOptions): Promise<WorkerHandle> {
    if (this.closed) throw new Error('queue backend is closed');
    const deps = {
      redisUrl: this.redisUrl,
      queueName: this.queueName,
      client: this.client,
      keys: this.keys,
      logger: this.logger,
      tuning: this.tuning,
    };
    const worker: BullmqWorkerHandle = new BullmqWorkerHandle(deps, handler, options, () => this.workerSet.delete(worker));
    this.workerSet.add(worker);
    try {
      await worker.start();
    } catch (err) {
      await worker.close();
      throw err;
    }
    return worker;
  }

  async workers(): Promise<WorkerInfo[]> {
    return listWorkers(this.client, this.keys);
  }

  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    await Promise.all([...this.workerSet].map((w) => w.close()));
    await withTimeout(this.queue.close(), 2000, 'bullmq queue close').catch((err) => this.logger.warn({ err }, 'bullmq queue close'));
    await closeRedis(this.client);
  }
}

/** Connects to `config.redisUrl`; does not wait for Redis, so a process starts (and reports not-ready) while Redis is down. */
export async function createBullmqBackend(
  config: Readonly<Pick<Config, 'queueName'> & { redisUrl: string }>,
  logger: Logger,
  options: BullmqOptions = {},
): Promise<QueueBackend> {
  const tuning: StallTuning = {
    lockDurationMs: options.lockDurationMs ?? DEFAULT_TUNING.lockDurationMs,
    stalledIntervalMs: options.stalledIntervalMs ?? DEFAULT_TUNING.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount ?? DEFAULT_TUNING.maxStalledCount,
  };
  return new BullmqBackend(
    config.queueName,
    config.redisUrl,
    connectRedis(config.redisUrl, false, logger, 'client'),
    logger,
    tuning,
    options.pingTimeoutMs ?? 1000,
  );
}
