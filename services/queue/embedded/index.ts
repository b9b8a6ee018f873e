/** The embedded backend: SQLite file, in-process workers; what `make start` runs. */
import type { CancelResult, JobHandler, QueueBackend, QueueCounts, WorkerHandle, WorkerInfo, WorkerOptions } from '../contract';
import type { Config } from '../../shared/config';
import type { Logger } from 'pino';
import { openDatabase, type Db } from './database';
import { SqliteJobStore } from './sqlite-job-store';
import { SqliteQueue } from './sqlite-queue';
import { SqliteOutbox } from './sqlite-outbox';
import { EmbeddedWorker } from './embedded-worker';
import { isAlive } from '../liveness';

/** `QueueBackend` over `<dataDir>/render.db`. */
export class EmbeddedBackend implements QueueBackend {
  readonly kind = 'embedded' as const;
  readonly splits = false;
  readonly messagingSystem = 'render-o11y.embedded';
  readonly queueName: string;
  readonly store: SqliteJobStore;
  readonly outbox: SqliteOutbox;
  private readonly queue: SqliteQueue;
  private readonly workerSet = new Set<EmbeddedWorker>();
  private closed = false;

  constructor(
    private readonly db: Db,
    queueName: string,
    private readonly logger: Logger,
  ) {
    this.queueName = queueName;
    this.store = new SqliteJobStore(db);
    this.outbox = new SqliteOutbox(db);
    this.queue = new SqliteQueue(db);
    const recovered = this.queue.recover();
    if (recovered > 0) logger.warn({ recovered }, 'resuming jobs interrupted by a previous shutdown or crash');
  }

  async enqueue(id: string, carrier: Record<string, string>, delayMs = 0, generation = 0): Promise<void> {
    this.queue.enqueue(id, carrier, delayMs, generation);
    for (const w of this.workerSet) w.wake();
  }

  async hasEntry(id: string, generation: number): Promise<boolean> {
    return this.queue.hasEntry(id, generation);
  }

  async cancel(id: string): Promise<CancelResult> {
    const found = this.queue.cancel(id);
    if (found === 'removed') return 'removed-from-queue';
    if (found === 'not-found') return 'not-found';
    // The flag reaches a worker in another process on its next tick; ours we abort right away.
    for (const w of this.workerSet) w.abort(id, 'cancelled');
    return 'signalled-running';
  }

  async counts(): Promise<QueueCounts> {
    return this.queue.counts();
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async startWorker(handler: JobHandler, options: WorkerOptions): Promise<WorkerHandle> {
    if (this.closed) throw new Error('queue backend is closed');
    const worker: EmbeddedWorker = new EmbeddedWorker(this.db, this.queue, handler, options, this.logger, () =>
      this.workerSet.delete(worker),
    );
    this.workerSet.add(worker);
    worker.start();
    return worker;
  }

  async workers(): Promise<WorkerInfo[]> {
    const rows = this.db
      .prepare<
        [],
        { id: string; hostname: string; pid: number; concurrency: number; active: number; heartbeat_ms: number; last_seen: number }
      >('SELECT id, hostname, pid, concurrency, active, heartbeat_ms, last_seen FROM workers ORDER BY id')
      .all();
    const now = Date.now();
    return rows
      .filter((r) => isAlive(r.last_seen, now, r.heartbeat_ms))
      .map((r) => ({
        id: r.id,
        hostname: r.hostname,
        pid: r.pid,
        concurrency: r.concurrency,
        active: r.active,
        lastSeenAt: new Date(r.last_seen).toISOString(),
      }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.workerSet].map((w) => w.close()));
    this.db.close();
  }
}

/** Opens the embedded backend, resuming entries a previous process left active. */
export async function createEmbeddedBackend(
  config: Readonly<Pick<Config, 'dataDir' | 'queueName'>>,
  logger: Logger,
): Promise<QueueBackend> {
  return new EmbeddedBackend(openDatabase(config.dataDir), config.queueName, logger);
}
