/** The in-process consumer of the embedded backend: a wake-up loop running up to `concurrency` handlers. */
import os from 'node:os';
import type { AbortReason, AttemptOutcome, CloseOptions, JobHandler, WorkerHandle, WorkerOptions } from '../contract';
import type { Logger } from '../../telemetry/logger';
import type { Db } from './database';
import type { ClaimedEntry, SqliteQueue } from './sqlite-queue';
import { newWorkerId } from '../worker-id';

/** Longest sleep between checks: catches entries written by another process and cancel flags. */
const MAX_IDLE_MS = 1000;

/** Runs handlers for due entries; `wake()` makes it look now instead of at its next tick. */
export class EmbeddedWorker implements WorkerHandle {
  readonly id = newWorkerId();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  /** The maintenance tick: cross-process cancels, recovery, delayed entries, other writers. */
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private pending: NodeJS.Immediate | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastBeat: number | null = null;
  private closing = false;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly queue: SqliteQueue,
    private readonly handler: JobHandler,
    private readonly options: WorkerOptions,
    private readonly logger: Logger,
    /** Called once closed, so the backend stops waking a stopped loop. */
    private readonly onClosed: () => void = () => {},
  ) {}

  /** Registers the worker and starts the loop. */
  start(): void {
    this.beat();
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
    this.heartbeat.unref();
    this.wake();
  }

  lastHeartbeatAt(): number | null {
    return this.lastBeat;
  }

  /** Looks for due entries on the next turn of the event loop (coalesced); enqueues in this process call it. */
  wake(): void {
    if (this.closing || this.pending) return;
    // setImmediate, not setTimeout(0): no 1 ms timer floor between an enqueue and its pick-up.
    this.pending = setImmediate(() => {
      this.pending = undefined;
      this.fillAndSchedule();
    });
  }

  /** Aborts the running attempt of `id` in this process; true when there was one. */
  abort(id: string, reason: AbortReason): boolean {
    const run = this.running.get(id);
    if (!run) return false;
    run.controller.abort(reason);
    return true;
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.closed ??= this.shutdown(options.drainMs ?? 0);
    return this.closed;
  }

  private async shutdown(drainMs: number): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    clearImmediate(this.pending);
    if (this.running.size > 0 && drainMs > 0) {
      this.logger.info({ running: this.running.size, drain_ms: drainMs }, 'draining: letting running attempts finish');
      // Heartbeats and cancel checks go on while draining: the attempts are alive and still cancellable.
      const maintenance = setInterval(
        () =>
          this.safely('poll', () => {
            for (const id of this.queue.cancelRequested(this.id)) this.abort(id, 'cancelled');
          }),
        MAX_IDLE_MS,
      );
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...this.running.values()].map((r) => r.done)),
        new Promise((r) => (deadline = setTimeout(r, drainMs))),
      ]);
      clearTimeout(deadline);
      clearInterval(maintenance);
    }
    clearInterval(this.heartbeat);
    for (const run of this.running.values()) run.controller.abort('shutdown' satisfies AbortReason);
    await Promise.all([...this.running.values()].map((r) => r.done));
    // Without our heartbeat row the entries we leave active are recoverable by the next start.
    this.safely('unregister', () => this.db.prepare('DELETE FROM workers WHERE id = ?').run(this.id));
    this.onClosed();
  }

  /** The periodic check: the only place that looks at other processes' writes (cancel flags, dead workers). */
  private tick(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.closing) return;
    this.safely('poll', () => {
      for (const id of this.queue.cancelRequested(this.id)) this.abort(id, 'cancelled');
      this.queue.recover();
    });
    this.fillAndSchedule();
  }

  /** Claims due entries while a slot is free. */
  private fill(): void {
    this.safely('claim', () => {
      while (!this.closing && this.running.size < this.options.concurrency) {
        const entry = this.queue.claim(this.id);
        if (!entry) break;
        this.run(entry);
      }
    });
  }

  private fillAndSchedule(): void {
    if (this.closing) return;
    this.fill();
    // With every slot busy, finishing attempts claim the next entry themselves; the tick is only for
    // maintenance then. With a free slot, sleep until the soonest delayed entry is due.
    const full = this.running.size >= this.options.concurrency;
    const next = full ? null : (this.safely('schedule', () => this.queue.nextRunAt()) ?? null);
    const now = Date.now();
    const delay = next === null ? MAX_IDLE_MS : Math.min(MAX_IDLE_MS, Math.max(1, next - now));
    // Only ever move the tick earlier: pushing it back on every completion would starve maintenance under load.
    if (now + delay >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = now + delay;
    // Not unref'd: a running worker keeps its process alive until closed.
    this.timer = setTimeout(() => this.tick(), delay);
  }

  private run(entry: ClaimedEntry): void {
    const controller = new AbortController();
    const done = this.attempt(entry, controller).finally(() => {
      this.running.delete(entry.id);
      // The next due entry is taken on this loop turn's check phase: a slot must not idle while entries
      // wait, but a chain of instant attempts must not starve I/O (HTTP, span export) either.
      this.wake();
    });
    this.running.set(entry.id, { controller, done });
  }

  private async attempt(entry: ClaimedEntry, controller: AbortController): Promise<void> {
    let outcome: AttemptOutcome;
    try {
      outcome = await this.handler(
        { id: entry.id, attempt: entry.attempt, carrier: entry.carrier, enqueuedAt: entry.enqueuedAt, generation: entry.generation },
        controller.signal,
      );
    } catch (err) {
      // The entry is dropped; the report lets the lifecycle fail the record instead of leaving it processing.
      this.logger.error({ err, job_id: entry.id }, 'job handler threw; the entry is dropped (handlers must not throw)');
      outcome = { kind: 'failed' };
      const detail = err instanceof Error ? err.message : String(err);
      await this.options
        .onGaveUp({ id: entry.id, generation: entry.generation, reason: 'handler-threw', detail })
        .catch((e: unknown) => this.logger.error({ err: e, job_id: entry.id }, 'give-up report failed'));
    }
    this.safely('settle', () => {
      // After a shutdown abort the outcome is ignored: the entry goes back without costing an attempt.
      if (controller.signal.reason === 'shutdown') this.queue.settle(entry.id, entry.generation, { kind: 'release', workerId: this.id });
      else if (outcome.kind === 'retry') this.queue.settle(entry.id, entry.generation, { kind: 'retry', delayMs: outcome.delayMs });
      else this.queue.settle(entry.id, entry.generation, { kind: 'done' });
    });
  }

  private beat(): void {
    const now = Date.now();
    const ok = this.safely('heartbeat', () =>
      this.db
        .prepare(
          `INSERT INTO workers (id, hostname, pid, concurrency, active, heartbeat_ms, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET active = excluded.active, last_seen = excluded.last_seen`,
        )
        .run(this.id, os.hostname(), process.pid, this.options.concurrency, this.running.size, this.options.heartbeatMs, now),
    );
    if (ok) this.lastBeat = now;
  }

  /** Runs a database step; a failure (disk full, file locked) is logged and retried on the next tick instead of crashing the process. */
  private safely<T>(what: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.logger.error({ err }, `embedded queue ${what} failed`);
      return undefined;
    }
  }
}
