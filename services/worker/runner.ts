/**
 * The attempt runner: the JobHandler every backend calls. It decides what an attempt's outcome is
 * and has the lifecycle service (services/jobs) make each status change (processing → completed |
 * retrying | failed, or back to queued on shutdown); it owns the attempt's own metrics and its
 * CONSUMER span. It never throws: whatever happens becomes an AttemptOutcome.
 */
import { rm } from 'node:fs/promises';
import type { Span } from '@opentelemetry/api';
import type { AttemptOwner, JobLifecycle } from '../jobs';
import type { AttemptOutcome, ChunkSpec, JobHandler, QueueBackend, QueuedJob } from '../queue/contract';
import { backoffDelayMs } from '../shared/backoff';
import type { Config } from '../shared/config';
import { classifyError } from '../shared/errors/classify';
import { JobCancelledError } from '../shared/errors';
import { jobClient, type JobRecord } from '../shared/job';
import type { OutboundClient } from '../shared/outbound-client';
import { trackActiveJob } from '../telemetry/active-jobs';
import { ATTR } from '../telemetry/attributes';
import type { Logger } from '../telemetry/logger';
import { recordEncode, recordInProgress, recordQueueWait } from '../telemetry/metrics';
import { activeCarrier, markSpanCancelled, withConsumerSpan } from '../telemetry/tracing';
import { runPipeline } from './pipeline';
import { slideSeconds } from './stages/encode';
import { ProgressWriter } from './progress-writer';
import { volumes, waitForFreeSpace } from './storage-space';
import { makeScratchDir } from './scratch';
import { publishOutput } from './publish';
import { failedToolOutput } from './tool-output';
import type { OutputStorage } from '../storage/contract';

/** What the runner needs. */
export interface JobHandlerDeps {
  backend: QueueBackend;
  config: Readonly<Config>;
  logger: Logger;
  /** Where finished videos go; the caller opens and closes it. */
  storage: OutputStorage;
  /** Every status change goes through it. */
  lifecycle: JobLifecycle;
  /** The outbound HTTP client for assets; the config's shared one when absent (tests bring a resolver). */
  outbound?: OutboundClient;
}

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
  // The run after a split job's chunks goes on with the attempt that split it (same fence, no new start);
  // a run after a crash of that one has a higher attempt number and starts afresh.
  const resumed =
    job.resumedAttempt !== undefined &&
    existing.status === 'processing' &&
    existing.attemptId === job.resumedAttempt &&
    existing.attempts === job.attempt
      ? job.resumedAttempt
      : null;
  if (existing.status === 'processing' && !resumed)
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
    const startedMs = resumed && existing.startedAt ? Date.parse(existing.startedAt) : Date.now();
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
    // The start gives this attempt its fence token: from here on only writes carrying it land, so when two
    // attempts of one job run at once (a lost lock), the one that started last owns the record and the other loses.
    const started = resumed
      ? { owner: { jobId: job.id, attemptId: resumed, attempt: existing.attempts } }
      : await deps.lifecycle.start({
          jobId: job.id,
          attempt: job.attempt,
          startedAt: new Date(startedMs),
          queueWaitSeconds: queueWait,
        });
    if (!started) return cancelled(span, logger);
    const { owner } = started;
    if (resumed) span.setAttribute(ATTR.RENDER_SPLIT_RESUMED, true);
    else recordQueueWait(queueWait);
    const { minSlides, chunkSlides } = deps.config.split;
    // A long deck is handed out as chunks any worker can take (a backend that splits, the piece cache on); once.
    const splits = deps.backend.splits && !resumed && deps.config.pieceCache.maxBytes > 0 && req.slides.length >= minSlides;
    recordInProgress(1);
    const untrack = trackActiveJob(
      req.slides.reduce((sum, slide) => sum + slide.duration, 0),
      startedMs,
    );
    const elapsed = () => (Date.now() - startedMs) / 1000;
    let scratchDir: string | undefined;
    // Small and throttled (a few times a second): only the mutable state is written, never the deck.
    const progress = new ProgressWriter(async (value) => void (await deps.lifecycle.progress(owner, { progress: value })));
    try {
      scratchDir = await makeScratchDir(deps.config.dataDir);
      const result = await runPipeline(
        {
          jobId: job.id,
          // Whose pieces this render may reuse (the piece cache's scope).
          client: jobClient(existing),
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
            await deps.lifecycle.progress(owner, { stage });
            logger.debug({ stage }, 'stage started');
          },
          onProgress: (stage, fraction) => progress.report(stage, fraction),
          split: splits
            ? async (work): Promise<ChunkSpec[]> => {
                const seconds = await slideSeconds(work, signal);
                const carrier = activeCarrier();
                const chunks: ChunkSpec[] = [];
                for (let first = 0; first < seconds.length; first += chunkSlides)
                  chunks.push({ first, count: Math.min(chunkSlides, seconds.length - first), seconds, carrier });
                return chunks;
              }
            : undefined,
        },
      );
      progress.stop();
      if ('split' in result) {
        await deps.lifecycle.progress(owner, { stage: 'encode' });
        span.setAttribute(ATTR.RENDER_SPLIT_CHUNKS, result.split.length);
        logger.info({ chunks: result.split.length, chunk_slides: chunkSlides }, 'deck split into chunks');
        return { kind: 'split', attemptId: owner.attemptId, chunks: result.split };
      }
      // Only the attempt that wins the final status update publishes its object; a loser deletes its own.
      const done = await publishOutput({ lifecycle: deps.lifecycle, storage: deps.storage, logger }, owner, {
        outputKey: result.outputKey,
        output: result.output,
        durationSeconds: elapsed(),
      });
      if (!done) return cancelled(span, logger);
      recordEncode(result.speed, result.output.durationSeconds);
      return { kind: 'completed' };
    } catch (err) {
      progress.stop();
      // Partial files go before the failure is recorded: a job seen failed (disk full…) has left nothing behind.
      if (scratchDir) await rm(scratchDir, { recursive: true, force: true }).catch(() => undefined);
      return await onFailure(deps, owner, existing, err, signal, span, logger, elapsed());
    } finally {
      untrack();
      recordInProgress(-1);
      if (scratchDir) await rm(scratchDir, { recursive: true, force: true }).catch(() => undefined);
    }
  });
}

async function onFailure(
  deps: JobHandlerDeps,
  owner: AttemptOwner,
  record: JobRecord,
  thrown: unknown,
  signal: AbortSignal,
  span: Span,
  logger: Logger,
  seconds: number,
): Promise<AttemptOutcome> {
  if (signal.aborted && signal.reason === 'shutdown') {
    // The backend hands the entry back without counting this start; the record says so too. Not a
    // failure anywhere: no error, no failed/retrying metric, no webhook.
    span.setAttribute(ATTR.RENDER_JOB_STATUS, 'interrupted');
    await deps.lifecycle
      .handBack(owner)
      .catch((err) => logger.warn({ err }, 'could not mark the interrupted job queued; it stays processing until resumed'));
    return { kind: 'retry', delayMs: 0 };
  }
  const err = classifyError(thrown);
  if (signal.aborted || err instanceof JobCancelledError) return cancelled(span, logger);
  // Inside the attempt's span, so the record carries its trace and span ids: the trace of a failed
  // job leads straight to what the tool said.
  const tool = failedToolOutput(err);
  if (tool)
    logger.error(
      { code: err.code, tool: tool.tool, stderr_lines: tool.lines.length },
      `${tool.tool} failed; the last lines of its stderr:\n${tool.lines.join('\n')}`,
    );
  if (err.retryable && owner.attempt < record.maxAttempts) {
    const delayMs = backoffDelayMs(deps.config.backoffMs, owner.attempt);
    return (await deps.lifecycle.retryLater(owner, err, delayMs)) ? { kind: 'retry', delayMs } : cancelled(span, logger);
  }
  return (await deps.lifecycle.fail(owner, err, seconds)) ? { kind: 'failed' } : cancelled(span, logger);
}

/**
 * An entry resumed more times than the job has attempts: each crash of the process running it counted
 * as one, so this job keeps killing its workers. Give up on it instead of crashing forever.
 */
async function giveUpAfterCrashes(deps: JobHandlerDeps, job: QueuedJob, record: JobRecord): Promise<AttemptOutcome> {
  const failed = await deps.lifecycle.giveUp({
    id: job.id,
    generation: job.generation,
    reason: 'stalled',
    detail: `attempt ${job.attempt} of at most ${record.maxAttempts}: the process running it died every time`,
    attempts: record.maxAttempts,
  });
  return failed ? { kind: 'failed' } : { kind: 'cancelled' };
}

function cancelled(span: Span, logger: Logger): AttemptOutcome {
  markSpanCancelled(span);
  span.setAttribute(ATTR.RENDER_JOB_STATUS, 'cancelled');
  logger.info('attempt stopped: the job was cancelled');
  return { kind: 'cancelled' };
}
