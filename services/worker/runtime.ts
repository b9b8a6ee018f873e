/**
 * The worker runtime: the attempt runner consuming a backend, plus its heartbeat gauge. Both the
 * embedded single process (services/main.ts) and the separate worker process (main.ts) start it.
 */
import type { QueueBackend, WorkerHandle } from '../queue/contract';
import type { Config } from '../shared/config';
import type { Logger } from '../telemetry/logger';
import { observeHeartbeat, observeStorageFree, setMemoryLimit } from '../telemetry/metrics';
import { startRetention } from './retention';
import { freeBytes, volumes } from './storage-space';
import { createJobHandler, type JobHandlerDeps } from './runner';
import { waitForStorage } from './storage-wait';

/** What startWorkerRuntime needs; extra runner options pass through (tests shorten webhook retries). */
export interface WorkerRuntimeOptions extends JobHandlerDeps {
  backend: QueueBackend;
  config: Readonly<Config>;
  logger: Logger;
}

/** Starts consuming with `config.concurrency`; `close()` hands running jobs back for recovery and waits for them. */
export async function startWorkerRuntime(options: WorkerRuntimeOptions): Promise<WorkerHandle> {
  const { backend, config, logger } = options;
  await waitForStorage(options.storage, logger);
  const handle = await backend.startWorker(createJobHandler(options), { concurrency: config.concurrency, heartbeatMs: config.heartbeatMs });
  setMemoryLimit(config.memoryLimitBytes);
  const stopObserving = observeHeartbeat(() => handle.lastHeartbeatAt());
  const paths = volumes(config);
  const stopStorage = observeStorageFree(() => freeBytes(paths));
  const stopRetention = startRetention(backend, options.storage, config.retentionMs, logger);
  logger.info({ worker_id: handle.id, concurrency: config.concurrency, backend: backend.kind }, 'worker started');
  let closing: Promise<void> | undefined;
  return {
    id: handle.id,
    lastHeartbeatAt: () => handle.lastHeartbeatAt(),
    close() {
      closing ??= (async () => {
        stopObserving();
        stopStorage();
        stopRetention();
        await handle.close();
        logger.info({ worker_id: handle.id }, 'worker stopped');
      })();
      return closing;
    },
  };
}
