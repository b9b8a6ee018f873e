/**
 * The attempt runner: the JobHandler every backend calls. It owns the job record's status during an
 * attempt (processing → completed | retrying | failed), the job's metrics, its CONSUMER span and
 * webhooks. It never throws: whatever happens becomes an AttemptOutcome.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Span } from '@opentelemetry/api';
import type { AttemptOutcome, JobHandler, QueueBackend, QueuedJob } from '../queue/contract';
import { backoffDelayMs } from '../shared/backoff';
import type { Config } from '../shared/config';
import { classifyError } from '../shared/errors/classify';
import { JobCancelledError } from '../shared/errors/job-cancelled-error';
import { WorkerLostError } from '../shared/errors/worker-lost-error';
import type { JobRecord } from '../shared/job';
import { trackActiveJob } from '../telemetry/active-jobs';
import { ATTR, EVENTS } from '../telemetry/attributes';
import type { Logger } from '../telemetry/logger';
import { recordEncode, recordError, recordInProgress, recordJobStatus, recordQueueWait, recordRenderDuration } from '../telemetry/metrics';
import { markSpanCancelled, markSpanError, withConsumerSpan } from '../telemetry/tracing';
import { runPipeline } from './pipeline';
import { ProgressWriter } from './progress-writer';
import { type OutboundClient, outboundFor } from './outbound-client';
import { volumes, waitForFreeSpace } from './storage-space';
import { makeScratchDir } from './scratch';
import { publishOutput } from './publish';
import { failedToolOutput } from './tool-output';
import { sendWebhook, type WebhookEvent, type WebhookOptions } from './webhook';
import type { OutboxDispatcher } from './webhook-outbox';
import type { OutputStorage } from '../storage/contract';
import { presignedOutputUrl } from '../storage/job-output';

/** What the runner needs; `webhook` overrides delivery settings (tests shorten the retries). */
export interface JobHandlerDeps {
  backend: QueueBackend;
  config: Readonly<Config>;
  logger: Logger;
  /** Where finished videos go; the caller opens and closes it. */
  storage: OutputStorage;
  webhook?: Partial<WebhookOptions>;
  /** The outbound HTTP client for assets and webhooks; the config's shared one when absent (tests bring a resolver). */
  outbound?: OutboundClient;
  /** Receives each webhook delivery promise, so tests can wait for them. */
  onWebhook?: (delivery: Promise<boolean>) => void;
  /** The durable outbox webhooks go through (the worker runtime provides it); without one they are sent directly. */
  outbox?: OutboxDispatcher;
}

const RUNNABLE = ['queued', 'retrying', 'processing'] as const;

/** The start of the line a process writes when it finds a job's previous attempt died mid-way; the Loki alert WorkerLostMidAttempt matches it. */
export const WORKER_LOST_LINE = 'worker lost mid-attempt';

/** Builds the JobHandler the queue backend runs for each attempt. */
export function createJobHandler(deps: JobHandlerDeps): JobHandler {
  return async (job, signal) => {
    try {
      return await runAttempt(deps, job, signal);
    } catch (err) {
      // Only the store can get here (the pipeline's errors are handled); a retry keeps the job alive.
      deps.logger.error({ job_id: job.id, err: classifyError(err).message }, 'attempt bookkeeping failed');
      return signal.aborted
        ? { kind: 'retry', delayMs: 0 }
        : { kind: 'retry', delayMs: backoffDelayMs(deps.config.backoffMs, job.attempt) };
    }
  };
}

async function runAttempt(deps: JobHandlerDeps, job: QueuedJob, signal: AbortSignal): Promise<AttemptOutcome> {
  const { store } = deps.backend;
  const existing = await store.get(job.id);
  if (!existing || existing.status === 'cancelled') return { kind: 'cancelled' };
  if (existing.status === 'completed') return { kind: 'completed' };
  if (existing.status === 'failed') return { kind: 'failed' };
  // An entry of an older generation (the job was cancelled and retried meanwhile): it settles only itself.
  if ((existing.generation ?? 0) !== job.generation) return { kind: 'cancelled' };
  if (job.attempt > existing.maxAttempts) return await giveUpAfterCrashes(deps, job, existing);
  // Still `processing` at the start of an attempt: the process running the previous one died mid-attempt
  // (a shutdown puts the record back to `queued`). The dead process could not say so; this one does,
  // and the logs alert WorkerLostMidAttempt counts these lines.
  if (existing.status === 'processing')
    deps.logger.warn(
      { job_id: job.id, attempt: job.attempt, previous_attempt: existing.attempts },
      `${WORKER_LOST_LINE}: the previous attempt never finished, running the job again`,
    );
  // Not started while a volume is nearly full: the job stays queued (visible as such) and starts once there is room.
  const room = await waitForFreeSpace(volumes(deps.config), deps.config.minFreeBytes, signal, (low) =>
    deps.logger.warn({ job_id: job.id, volumes: low }, 'job not started: free space below RENDER_MIN_FREE_BYTES'),
  );
  if (!room) return signal.reason === 'shutdown' ? { kind: 'retry', delayMs: 0 } : { kind: 'cancelled' };
  const target = { messagingSystem: deps.backend.messagingSystem, queueName: deps.backend.queueName };
  return withConsumerSpan(job, target, async (span) => {
    const logger = deps.logger.child({ job_id: job.id, attempt: job.attempt });
    const startedMs = Date.now();
    const queueWait = Math.max(0, (startedMs - job.enqueuedAt) / 1000);
    const req = existing.request;
    span.setAttributes({
      [ATTR.RENDER_JOB_MAX_ATTEMPTS]: existing.maxAttempts,
      [ATTR.RENDER_JOB_SLIDES]: req.slides.length,
      [ATTR.RENDER_JOB_WIDTH]: req.config.width,
      [ATTR.RENDER_JOB_HEIGHT]: req.config.height,
      [ATTR.RENDER_JOB_FPS]: req.config.fps,
      [ATTR.RENDER_JOB_QUALITY]: req.config.quality,
      [ATTR.RENDER_QUEUE_WAIT_SECONDS]: queueWait,
    });
    // This attempt's fence token: from here on only writes carrying it land, so when two attempts of
    // one job run at once (a lost lock), the one that started last owns the record and the other loses.
    const attemptId = randomUUID();
    const started = await store.update(
      job.id,
      {
        status: 'processing',
        attemptId,
        attempts: job.attempt,
        startedAt: new Date(startedMs).toISOString(),
        queueWaitSeconds: queueWait,
        stage: null,
        progress: 0,
      },
      RUNNABLE,
    );
    if (!started) return cancelled(span, logger);
    recordQueueWait(queueWait);
    recordInProgress(1);
    const untrack = trackActiveJob(
      req.slides.reduce((sum, slide) => sum + slide.duration, 0),
      startedMs,
    );
    logger.info({ queue_wait_seconds: queueWait }, 'attempt started');
    webhook(deps, started, 'render.started', logger);
    const elapsed = () => (Date.now() - startedMs) / 1000;
    let scratchDir: string | undefined;
    // Small and throttled (a few times a second): only the mutable state is written, never the deck.
    const progress = new ProgressWriter(
      async (value) => void (await store.patchState(job.id, { progress: value }, ['processing'], attemptId)),
    );
    try {
      scratchDir = await makeScratchDir(deps.config.dataDir);
      const result = await runPipeline(
        {
          jobId: job.id,
          attempt: job.attempt,
          storage: deps.storage,
          request: req,
          config: deps.config,
          scratchDir,
          signal,
          logger,
          outbound: deps.outbound,
        },
        {
          onStage: async (stage) => {
            progress.flush();
            await store.patchState(job.id, { stage }, ['processing'], attemptId);
            logger.debug({ stage }, 'stage started');
          },
          onProgress: (stage, fraction) => progress.report(stage, fraction),
        },
      );
      progress.stop();
      // Only the attempt that wins the final status update publishes its object; a loser deletes its own.
      const done = await publishOutput(
        { store, storage: deps.storage, logger },
        { jobId: job.id, attempt: job.attempt, attemptId },
        result.outputKey,
        {
          status: 'completed',
          progress: 1,
          finishedAt: new Date().toISOString(),
          durationSeconds: elapsed(),
          output: result.output,
          error: null,
        },
      );
      if (!done) return cancelled(span, logger);
      recordJobStatus('completed');
      recordRenderDuration('completed', elapsed());
      recordEncode(result.speed, result.output.durationSeconds);
      span.setAttributes({
        [ATTR.RENDER_JOB_STATUS]: 'completed',
        [ATTR.RENDER_OUTPUT_BYTES]: result.output.bytes,
        [ATTR.RENDER_OUTPUT_DURATION_SECONDS]: result.output.durationSeconds,
      });
      logger.info({ duration_seconds: elapsed(), bytes: result.output.bytes }, 'job completed');
      webhook(deps, await withDownloadUrl(deps, done, logger), 'render.completed', logger);
      return { kind: 'completed' };
    } catch (err) {
      progress.stop();
      // Partial files go before the failure is recorded: a job seen failed (disk full…) has left nothing behind.
      if (scratchDir) await rm(scratchDir, { recursive: true, force: true }).catch(() => undefined);
      return await onFailure(deps, job, existing, attemptId, err, signal, span, logger, elapsed());
    } finally {
      untrack();
      recordInProgress(-1);
      if (scratchDir) await rm(scratchDir, { recursive: true, force: true }).catch(() => undefined);
    }
  });
}

async function onFailure(
  deps: JobHandlerDeps,
  job: QueuedJob,
  record: JobRecord,
  attemptId: string,
  thrown: unknown,
  signal: AbortSignal,
  span: Span,
  logger: Logger,
  seconds: number,
): Promise<AttemptOutcome> {
  if (signal.aborted && signal.reason === 'shutdown') {
    // The backend hands the entry back without counting this start; the record says so too. Not a
    // failure anywhere: no error, no failed/retrying metric, no webhook.
    logger.info('attempt interrupted by worker shutdown; the job goes back to the queue');
    span.setAttribute(ATTR.RENDER_JOB_STATUS, 'interrupted');
    await deps.backend.store
      .update(job.id, { status: 'queued', attempts: job.attempt - 1, stage: null, attemptId: null }, ['processing'], attemptId)
      .catch((err) => logger.warn({ err }, 'could not mark the interrupted job queued; it stays processing until resumed'));
    return { kind: 'retry', delayMs: 0 };
  }
  const err = classifyError(thrown);
  if (signal.aborted || err instanceof JobCancelledError) return cancelled(span, logger);
  const retry = err.retryable && job.attempt < record.maxAttempts;
  const delayMs = backoffDelayMs(deps.config.backoffMs, job.attempt);
  markSpanError(span, err);
  const patch = retry
    ? { status: 'retrying' as const, error: err.toJobError() }
    : { status: 'failed' as const, error: err.toJobError(), finishedAt: new Date().toISOString(), durationSeconds: seconds };
  const updated = await deps.backend.store.update(job.id, patch, ['processing'], attemptId);
  if (!updated) return cancelled(span, logger);
  recordError(err.category, retry);
  recordJobStatus(patch.status);
  span.setAttribute(ATTR.RENDER_JOB_STATUS, patch.status);
  logger.warn({ code: err.code, category: err.category, retryable: err.retryable, retry }, `attempt failed: ${err.message}`);
  // Inside the attempt's span, so the record carries its trace and span ids: the trace of a failed
  // job leads straight to what the tool said.
  const tool = failedToolOutput(err);
  if (tool)
    logger.error(
      { code: err.code, tool: tool.tool, stderr_lines: tool.lines.length },
      `${tool.tool} failed; the last lines of its stderr:\n${tool.lines.join('\n')}`,
    );
  if (retry) {
    span.addEvent(EVENTS.JOB_RETRY_SCHEDULED, { [ATTR.RENDER_RETRY_DELAY_MS]: delayMs });
    return { kind: 'retry', delayMs };
  }
  recordRenderDuration('failed', seconds);
  webhook(deps, updated, 'render.failed', logger);
  return { kind: 'failed' };
}

/**
 * An entry resumed more times than the job has attempts: each crash of the process running it counted
 * as one, so this job keeps killing its workers. Fail it instead of crashing forever.
 */
async function giveUpAfterCrashes(deps: JobHandlerDeps, job: QueuedJob, record: JobRecord): Promise<AttemptOutcome> {
  const err = new WorkerLostError(`attempt ${job.attempt} of at most ${record.maxAttempts}: the process running it died every time`);
  const failed = await deps.backend.store.update(
    job.id,
    { status: 'failed', error: err.toJobError(), finishedAt: new Date().toISOString(), attempts: record.maxAttempts, attemptId: null },
    RUNNABLE,
  );
  if (!failed) return { kind: 'cancelled' };
  recordError(err.category, false);
  recordJobStatus('failed');
  deps.logger.error({ job_id: job.id, attempt: job.attempt }, 'job failed: its worker died on every attempt');
  webhook(deps, failed, 'render.failed', deps.logger);
  return { kind: 'failed' };
}

function cancelled(span: Span, logger: Logger): AttemptOutcome {
  markSpanCancelled(span);
  span.setAttribute(ATTR.RENDER_JOB_STATUS, 'cancelled');
  logger.info('attempt stopped: the job was cancelled');
  return { kind: 'cancelled' };
}

/**
 * The record as the completion webhook shows it: with object storage, `output.url` is a presigned
 * URL (valid RENDER_OUTPUT_URL_TTL) so receivers download straight from the store; otherwise, or
 * if signing fails, the API's download URL as stored.
 */
async function withDownloadUrl(deps: JobHandlerDeps, job: JobRecord, logger: Logger): Promise<JobRecord> {
  if (!job.output || !job.request.webhookUrl) return job;
  try {
    const url = await presignedOutputUrl(deps.storage, job, deps.config.outputUrlTtlSeconds);
    return url ? { ...job, output: { ...job.output, url } } : job;
  } catch (err) {
    logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not sign the output URL for the webhook');
    return job;
  }
}

function webhook(deps: JobHandlerDeps, job: JobRecord, event: WebhookEvent, logger: Logger): void {
  if (!job.request.webhookUrl) return;
  const delivery = deps.outbox
    ? deps.outbox.publish(job, event)
    : sendWebhook(job, event, {
        secret: deps.config.webhookSecret,
        outbound: deps.outbound ?? outboundFor(deps.config),
        ...deps.webhook,
        logger,
      }).then((result) => result === 'delivered');
  deps.onWebhook?.(delivery);
}
