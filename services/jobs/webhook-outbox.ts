/**
 * The webhook outbox dispatcher: every job event is first written to the backend's durable outbox
 * (with a stable event id), then delivered by the existing delivery function (`sendWebhook`, the one
 * call site); a delivery that fails, or is pending when the process stops or crashes, is retried
 * later from the outbox, also after a restart, at least once and always with the same
 * `X-Render-Event-Id`.
 */
import { randomUUID } from 'node:crypto';
import type { OutboxEntry, WebhookOutbox } from '../queue/contract';
import type { JobRecord } from '../shared/job';
import type { Logger } from '../telemetry/logger';
import { backoffDelayMs } from '../shared/backoff';
import { sendWebhook, type WebhookEvent, type WebhookOptions, type WebhookResult } from './webhook';

/** How often the outbox is polled for due deliveries. */
const POLL_MS = 1000;
/** A taken entry is hidden from other takers this long (a crash mid-delivery retries after it). */
const LEASE_MS = 60_000;
/** Retry schedule after a failed delivery round: 5 s doubling up to 10 min, given up after this many rounds. */
const RETRY_BASE_MS = 5000;
const RETRY_MAX_MS = 600_000;
const MAX_ROUNDS = 12;
/** How long a stopping process waits for deliveries in flight (the rest are made due again and sent after the restart). */
const STOP_WAIT_MS = 1000;

/** What the dispatcher needs; `webhook` overrides delivery settings (tests shorten the retries). */
export interface OutboxDeps {
  outbox: WebhookOutbox;
  logger: Logger;
  secret?: string;
  webhook?: Partial<WebhookOptions>;
  pollMs?: number;
  retryBaseMs?: number;
}

/** The job as it was when the event happened, without the slides' content (only their number is ever sent). */
function snapshot(job: JobRecord): string {
  return JSON.stringify({ ...job, request: { ...job.request, slides: job.request.slides.map(() => ({})) } });
}

/** Where the lifecycle sends a job's events. */
export interface JobEventPublisher {
  /** Records `event` for `job` and starts delivering it; resolves with the first round's outcome, never rejects. */
  publish(job: JobRecord, event: WebhookEvent): Promise<boolean>;
}

/** Persists events and delivers them; `stop()` ends polling and waits briefly for deliveries in flight. */
export class OutboxDispatcher implements JobEventPublisher {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Entries being delivered now, by event id, so a stop can hand their leases back. */
  private readonly delivering = new Map<string, OutboxEntry>();
  private stopped = false;
  private polling = false;

  constructor(private readonly deps: OutboxDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.deps.pollMs ?? POLL_MS);
    this.timer.unref();
    void this.poll();
  }

  /**
   * Records `event` for `job` in the outbox and starts delivering it now; resolves with the outcome
   * of this first round (false also when it stays queued for a later retry). Never rejects.
   */
  async publish(job: JobRecord, event: WebhookEvent): Promise<boolean> {
    if (!job.request.webhookUrl) return false;
    const eventId = randomUUID();
    try {
      await this.deps.outbox.add({ eventId, jobId: job.id, event, payload: snapshot(job) });
      const entry = await this.deps.outbox.takeOne(eventId, Date.now(), LEASE_MS);
      return entry ? await this.track(this.deliver(entry)) : false;
    } catch (err) {
      this.deps.logger.warn({ err, job_id: job.id, event }, 'webhook outbox write failed; the delivery is not recorded');
      return false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => (timer = setTimeout(r, STOP_WAIT_MS)))]);
    clearTimeout(timer);
    // Still delivering: make them due at once, so the next start sends them without waiting out the lease.
    for (const entry of this.delivering.values()) {
      await this.deps.outbox.reschedule(entry.eventId, entry.attempts, Date.now()).catch(() => undefined);
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const entries = await this.deps.outbox.take(Date.now(), LEASE_MS, 20);
      await Promise.all(entries.map((e) => this.track(this.deliver(e))));
    } catch (err) {
      this.deps.logger.debug({ err }, 'webhook outbox poll failed; retrying on the next tick');
    } finally {
      this.polling = false;
    }
  }

  /** One delivery round through the delivery function; then remove, reschedule or give up. */
  private async deliver(entry: OutboxEntry): Promise<boolean> {
    const job = JSON.parse(entry.payload) as JobRecord;
    this.delivering.set(entry.eventId, entry);
    let result: WebhookResult;
    try {
      result = await sendWebhook(job, entry.event as WebhookEvent, {
        secret: this.deps.secret,
        ...this.deps.webhook,
        eventId: entry.eventId,
        logger: this.deps.logger,
      });
    } finally {
      this.delivering.delete(entry.eventId);
    }
    const ok = result === 'delivered';
    // Stopped meanwhile: `stop()` already made the entry due again; leave it for the next start.
    if (this.stopped && !ok) return false;
    const rounds = entry.attempts + 1;
    try {
      if (ok || result === 'permanent' || rounds >= MAX_ROUNDS) {
        // A refused URL or a receiver's 4xx will not change by waiting: given up at once, not after 12 rounds.
        if (!ok) this.deps.logger.error({ job_id: entry.jobId, event: entry.event, rounds, result }, 'webhook given up');
        await this.deps.outbox.remove(entry.eventId);
      } else {
        const delay = backoffDelayMs(this.deps.retryBaseMs ?? RETRY_BASE_MS, rounds, RETRY_MAX_MS);
        await this.deps.outbox.reschedule(entry.eventId, rounds, Date.now() + delay);
      }
    } catch (err) {
      // The lease expires and the entry is tried again: at least once, never lost.
      this.deps.logger.warn({ err, event_id: entry.eventId }, 'webhook outbox update failed');
    }
    return ok;
  }
}
