/**
 * The job lifecycle: the one service that changes a job's status. Every change is one guarded store
 * write (`JobStore.transition` with a change from the status machine in services/shared/job.ts)
 * and, only when that write landed, its side effects — the `render_jobs_total` count, the error
 * count, the span attributes, one log line and the webhook event through the outbox — so a status
 * change means the same thing whichever process makes it (API, worker, either queue backend).
 *
 * Callers: the API routes (submit, cancel, user retry), the attempt runner (start, progress,
 * complete, retry later, fail, hand back, give up after crashes) and, through the queue contract's
 * give-up report, both queue backends (give up).
 */
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { GiveUpReport, QueueBackend } from '../queue/contract';
import { InternalError, QueueUnavailableError, type RenderError, WorkerLostError } from '../shared/errors';
import {
  canTransition,
  statusChange,
  TRANSITIONS,
  type JobEvent,
  type JobOutput,
  type JobRecord,
  type Stage,
  type TransitionName,
} from '../shared/job';
import type { OutputStorage } from '../storage/contract';
import { presignedOutputUrl } from '../storage/job-output';
import { ATTR, EVENTS } from '../telemetry/attributes';
import type { Logger } from '../telemetry/logger';
import { recordError, recordJobStatus, recordRenderDuration } from '../telemetry/metrics';
import { markSpanError, startEnqueueSpan } from '../telemetry/tracing';
import type { JobEventPublisher } from './webhook-outbox';

/** What the lifecycle needs. */
export interface LifecycleDeps {
  backend: QueueBackend;
  /** Where events go (the outbox dispatcher): persisted first, then delivered. */
  events: JobEventPublisher;
  logger: Logger;
  /** With object storage, `render.completed` carries a presigned URL valid this long. */
  storage?: OutputStorage;
  outputUrlTtlSeconds?: number;
  /** Receives each event's first delivery round, so tests can wait for them. */
  onEvent?: (delivery: Promise<boolean>) => void;
}

/** The attempt that owns a running job (its fence token) and which attempt it is. */
export interface AttemptOwner {
  jobId: string;
  attemptId: string;
  attempt: number;
}

/** What starting an attempt records. */
export interface AttemptStart {
  jobId: string;
  attempt: number;
  startedAt: Date;
  queueWaitSeconds: number;
}

/** A finished render, as `complete` publishes it. */
export interface RenderResult {
  outputKey: string;
  output: JobOutput;
  durationSeconds: number;
}

/** The lifecycle service; one per process, shared by its API and its worker. */
export class JobLifecycle {
  constructor(private readonly deps: LifecycleDeps) {}

  /** Stores a new `queued` record and queues it inside the PRODUCER span; a refused enqueue fails it (`abandon`) and rethrows. */
  async submit(job: JobRecord): Promise<JobRecord> {
    const { backend } = this.deps;
    const created = await this.enqueued(job.id, async (trace) => {
      const record = { ...job, ...trace };
      await backend.store.create(record);
      return record;
    });
    // Counted once queued: a submission the queue refused is counted failed (abandon), not queued.
    this.after('submit', created);
    return created;
  }

  /**
   * A user's retry of a failed or cancelled job: a new generation, every attempt field reset,
   * queued again. Null when the job is in another status (two retries at once: the second one loses).
   */
  async retry(id: string, maxAttempts: number): Promise<JobRecord | null> {
    const current = await this.deps.backend.store.get(id);
    if (!current || !canTransition('retry', current.status)) return null;
    return this.enqueued(id, async (trace) => {
      const patch = {
        // A new generation: the cancelled attempt still winding down can then only settle its own entry.
        generation: (current.generation ?? 0) + 1,
        attemptId: null,
        error: null,
        output: null,
        outputPath: null,
        stage: null,
        progress: 0,
        attempts: 0,
        maxAttempts,
        startedAt: null,
        finishedAt: null,
        durationSeconds: null,
        queueWaitSeconds: null,
        updatedAt: new Date().toISOString(),
        ...trace,
      };
      return this.change('retry', id, patch);
    });
  }

  /** Cancels a queued, retrying or running job: the status first (so a finishing worker loses), then the queue entry. Null when it already finished. */
  async cancel(id: string): Promise<JobRecord | null> {
    const cancelled = await this.change('cancel', id, { finishedAt: new Date().toISOString() });
    if (cancelled) await this.deps.backend.cancel(id);
    return cancelled;
  }

  /** An attempt starts: it becomes the record's owner (a fresh fence token). Null when the job is no longer runnable. */
  async start(s: AttemptStart): Promise<{ job: JobRecord; owner: AttemptOwner } | null> {
    const attemptId = randomUUID();
    const job = await this.change(
      'start',
      s.jobId,
      {
        attemptId,
        attempts: s.attempt,
        startedAt: s.startedAt.toISOString(),
        queueWaitSeconds: s.queueWaitSeconds,
        stage: null,
        progress: 0,
      },
      undefined,
      { attempt: s.attempt, queue_wait_seconds: s.queueWaitSeconds },
    );
    return job ? { job, owner: { jobId: s.jobId, attemptId, attempt: s.attempt } } : null;
  }

  /** Progress and stage of a running attempt: fenced, not a status change, no event. True when the write landed. */
  async progress(owner: AttemptOwner, patch: { progress?: number; stage?: Stage }): Promise<boolean> {
    return this.deps.backend.store.patchState(owner.jobId, patch, ['processing'], owner.attemptId);
  }

  /** The attempt publishes its video. Null when it lost (cancelled meanwhile, or another attempt owns the job). */
  async complete(owner: AttemptOwner, result: RenderResult): Promise<JobRecord | null> {
    const job = await this.change(
      'complete',
      owner.jobId,
      {
        progress: 1,
        finishedAt: new Date().toISOString(),
        durationSeconds: result.durationSeconds,
        output: result.output,
        outputKey: result.outputKey,
        error: null,
      },
      owner,
      { attempt: owner.attempt, duration_seconds: result.durationSeconds, bytes: result.output.bytes },
    );
    if (job) {
      recordRenderDuration('completed', result.durationSeconds);
      trace.getActiveSpan()?.setAttributes({
        [ATTR.RENDER_OUTPUT_BYTES]: result.output.bytes,
        [ATTR.RENDER_OUTPUT_DURATION_SECONDS]: result.output.durationSeconds,
      });
    }
    return job;
  }

  /** A retryable failure with attempts left: `retrying`; the caller has the queue run it after `delayMs`. */
  async retryLater(owner: AttemptOwner, err: RenderError, delayMs: number): Promise<JobRecord | null> {
    const job = await this.change('retryLater', owner.jobId, { error: err.toJobError() }, owner, this.errorLog(owner, err), err);
    if (job) trace.getActiveSpan()?.addEvent(EVENTS.JOB_RETRY_SCHEDULED, { [ATTR.RENDER_RETRY_DELAY_MS]: delayMs });
    return job;
  }

  /** A permanent failure (or no attempt left). */
  async fail(owner: AttemptOwner, err: RenderError, durationSeconds: number): Promise<JobRecord | null> {
    const patch = { error: err.toJobError(), finishedAt: new Date().toISOString(), durationSeconds };
    const job = await this.change('fail', owner.jobId, patch, owner, this.errorLog(owner, err), err);
    if (job) recordRenderDuration('failed', durationSeconds);
    return job;
  }

  /** The worker shut down mid-attempt: back to `queued`, the interrupted start not counted. Not a failure anywhere. */
  async handBack(owner: AttemptOwner): Promise<JobRecord | null> {
    return this.change('handBack', owner.jobId, { attempts: owner.attempt - 1, stage: null, attemptId: null }, owner, {
      attempt: owner.attempt,
    });
  }

  /**
   * The queue will not run this job again because its workers kept dying: a backend's give-up
   * report (BullMQ's stall limit) or the runner seeing more starts than attempts. Only the report
   * for the record's current generation counts; several reports of one give-up fail it once.
   */
  async giveUp(report: Omit<GiveUpReport, 'detail'> & { detail: string; attempts?: number }): Promise<JobRecord | null> {
    const current = await this.deps.backend.store.get(report.id);
    if (!current || (current.generation ?? 0) !== report.generation) return null;
    // A handler that threw is a bug of ours, not a job that kills its workers.
    const err = report.reason === 'handler-threw' ? new InternalError(report.detail) : new WorkerLostError(report.detail);
    const patch = {
      error: err.toJobError(),
      finishedAt: new Date().toISOString(),
      attemptId: null,
      ...(report.attempts !== undefined ? { attempts: report.attempts } : {}),
    };
    return this.change('giveUp', report.id, patch, undefined, { reason: report.reason, detail: report.detail }, err);
  }

  /** The contract's `onGaveUp` for this process's workers. */
  readonly onGaveUp = async (report: GiveUpReport): Promise<void> => {
    try {
      await this.giveUp(report);
    } catch (err) {
      this.deps.logger.warn(
        { err, job_id: report.id },
        'could not fail a job the queue gave up on; it is reported again by the next worker that sees it',
      );
    }
  };

  /** Runs `persist` (a create or a requeue) and the enqueue inside the PRODUCER span; a refused enqueue abandons the job. */
  private async enqueued<T extends JobRecord | null>(
    id: string,
    persist: (trace: { traceCarrier: Record<string, string>; traceId: string | null }) => Promise<T>,
  ): Promise<T> {
    const { backend } = this.deps;
    const { span, carrier, traceId } = startEnqueueSpan(id, backend);
    try {
      const job = await persist({ traceCarrier: carrier, traceId });
      if (!job) return job;
      try {
        await backend.enqueue(id, carrier, 0, job.generation ?? 0);
      } catch (err) {
        // The record exists but nothing will run it: fail it visibly rather than leave it queued for ever.
        const error = err instanceof QueueUnavailableError ? err : new QueueUnavailableError();
        await this.change('abandon', id, { error: error.toJobError(), finishedAt: new Date().toISOString() }, undefined, {}, error).catch(
          () => undefined,
        );
        markSpanError(span, error);
        throw err;
      }
      return job;
    } finally {
      span.end();
    }
  }

  private errorLog(owner: AttemptOwner, err: RenderError): Record<string, unknown> {
    return { attempt: owner.attempt, code: err.code, category: err.category, retryable: err.retryable, err: err.message };
  }

  /** One guarded status write and, when it landed, its side effects; null when the guard refused. */
  private async change(
    name: TransitionName,
    id: string,
    patch: Parameters<QueueBackend['store']['transition']>[2],
    owner?: AttemptOwner,
    log: Record<string, unknown> = {},
    err?: RenderError,
  ): Promise<JobRecord | null> {
    const job = await this.deps.backend.store.transition(id, statusChange(name), patch, owner?.attemptId);
    if (job) this.after(name, job, log, err);
    return job;
  }

  /** The side effects of transition `name` having happened to `job`. */
  private after(name: TransitionName, job: JobRecord, log: Record<string, unknown> = {}, err?: RenderError): void {
    const t = TRANSITIONS[name];
    if (t.counted) recordJobStatus(t.to);
    if (err) recordError(err.category, name === 'retryLater');
    const span = trace.getActiveSpan();
    span?.setAttribute(ATTR.RENDER_JOB_STATUS, t.to);
    if (err && span) markSpanError(span, err);
    const level = name === 'giveUp' || name === 'abandon' ? 'error' : err ? 'warn' : 'info';
    this.deps.logger[level]({ job_id: job.id, transition: name, status: t.to, ...log }, `job ${name}: ${t.to}`);
    if (t.event) this.publish(job, t.event);
  }

  private publish(job: JobRecord, event: JobEvent): void {
    if (!job.request.webhookUrl) return;
    const delivery = (event === 'render.completed' ? this.withDownloadUrl(job) : Promise.resolve(job)).then((shown) =>
      this.deps.events.publish(shown, event),
    );
    this.deps.onEvent?.(delivery);
  }

  /**
   * The record as the completion event shows it: with object storage, `output.url` is a presigned
   * URL (valid RENDER_OUTPUT_URL_TTL) so receivers download straight from the store; otherwise, or
   * if signing fails, the API's download URL as stored.
   */
  private async withDownloadUrl(job: JobRecord): Promise<JobRecord> {
    const { storage, outputUrlTtlSeconds } = this.deps;
    if (!job.output || !storage || outputUrlTtlSeconds === undefined) return job;
    try {
      const url = await presignedOutputUrl(storage, job, outputUrlTtlSeconds);
      return url ? { ...job, output: { ...job.output, url } } : job;
    } catch (err) {
      this.deps.logger.warn(
        { job_id: job.id, err: err instanceof Error ? err.message : String(err) },
        'could not sign the output URL for the webhook',
      );
      return job;
    }
  }
}
