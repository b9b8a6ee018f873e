/**
 * The worker runtime: the attempt runner consuming a backend, plus its heartbeat gauge, the
 * reconciler and the start-up sweep. Both the embedded single process (services/main.ts) and the
 * separate worker process (main.ts) start it.
 */
import type { CloseOptions, QueueBackend, WorkerHandle } from '../queue/contract';
import { startReconciler } from '../queue/reconciler';
import type { Config } from '../shared/config';
import type { Logger } from '../telemetry/logger';
import { observeHeartbeat, observeStorageFree, setMemoryLimit } from '../telemetry/metrics';
import { startRetention } from './retention';
import { freeBytes, volumes } from './storage-space';
import { startJobs, type Jobs, type JobsOptions } from '../jobs';
import { createJobHandler, type JobHandlerDeps } from './runner';
import { createChunkHandler } from './chunk';
import { sweepStale } from './scratch';
import { waitForStorage } from './storage-wait';

/** What startWorkerRuntime needs; extra runner options pass through. */
export interface WorkerRuntimeOptions extends Omit<JobHandlerDeps, 'lifecycle'> {
  backend: QueueBackend;
  config: Readonly<Config>;
  logger: Logger;
  /**
   * The process's lifecycle layer (the entry points share one between API and worker); when absent
   * the runtime starts its own with `webhook`/`onWebhook` (tests shorten retries and await deliveries)
   * and stops it on close.
   */
  jobs?: Jobs;
  webhook?: JobsOptions['webhook'];
  onWebhook?: JobsOptions['onEvent'];
  /** Reconciler interval (tests shorten it). */
  reconcileMs?: number;
  /** Drain time of a `close()` that does not say (entry points pass RENDER_DRAIN_SECONDS; tests 0). */
  drainMs?: number;
}

/**
 * Starts consuming with `config.concurrency`; `close({ drainMs })` stops claiming, lets running
 * attempts finish for up to `drainMs`, hands the rest back (no attempt consumed) and waits for them.
 */
export async function startWorkerRuntime(options: WorkerRuntimeOptions): Promise<WorkerHandle> {
  const { backend, config, logger } = options;
  // Before claiming anything: tools and files a killed predecessor left behind go first.
  await sweepStale(config.dataDir, config.outputDir, logger).catch((err) => logger.warn({ err }, 'start-up sweep failed'));
  await waitForStorage(options.storage, logger);
  // Deliveries left pending by a previous process (shutdown, crash) go out as soon as this one starts.
  const ownJobs = options.jobs ? undefined : startJobs({ ...options, onEvent: options.onWebhook });
  const { lifecycle } = options.jobs ?? ownJobs!;
  const handle = await backend.startWorker(createJobHandler({ ...options, lifecycle }), {
    concurrency: config.concurrency,
    heartbeatMs: config.heartbeatMs,
    // A job the queue gave up on (its workers kept dying) is failed by the lifecycle, with its webhook.
    onGaveUp: lifecycle.onGaveUp,
    // Chunks of split jobs (a backend that splits): any worker takes them, beside its own jobs.
    chunks: backend.splits ? createChunkHandler(options) : undefined,
  });
  setMemoryLimit(config.memoryLimitBytes);
  const stopObserving = observeHeartbeat(() => handle.lastHeartbeatAt());
  const paths = volumes(config);
  const stopStorage = observeStorageFree(() => freeBytes(paths));
  const stopRetention = startRetention(backend, options.storage, config.retentionMs, logger);
  const stopReconciler = startReconciler(backend, logger, options.reconcileMs);
  logger.info({ worker_id: handle.id, concurrency: config.concurrency, backend: backend.kind }, 'worker started');
  let closing: Promise<void> | undefined;
  return {
    id: handle.id,
    lastHeartbeatAt: () => handle.lastHeartbeatAt(),
    close(closeOptions: CloseOptions = {}) {
      closing ??= (async () => {
        stopReconciler();
        stopRetention();
        await handle.close({ drainMs: closeOptions.drainMs ?? options.drainMs ?? 0 });
        await ownJobs?.close();
        stopObserving();
        stopStorage();
        logger.info({ worker_id: handle.id }, 'worker stopped');
      })();
      return closing;
    },
  };
}
