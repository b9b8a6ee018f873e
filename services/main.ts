/** The embedded single process (`npm start`): queue backend, worker and API in one process. */
import { assertApiExposureAllowed } from './api/auth';
import { listenApi } from './api/server';
import { runMain } from './process/lifecycle';
import { startService, type RunningService } from './process/service';
import type { Config } from './shared/config';
import { createOutputStorage } from './storage';
import type { OutputStorage } from './storage/contract';
import type { Logger } from './telemetry/logger';
import { instrumentStorage } from './telemetry/storage-telemetry';
import { startWorkerRuntime } from './worker/runtime';

/** The embedded process: the API's URL besides what every process has. */
export interface RunningEmbedded extends RunningService {
  url: string;
}

/**
 * Starts worker then API; `close()` stops the API first so no new job arrives while the worker
 * hands its running ones back for recovery.
 */
export async function startEmbedded(config: Readonly<Config>, logger: Logger): Promise<RunningEmbedded> {
  // Protected mode refuses before the backend, storage or worker start.
  assertApiExposureAllowed(config, logger);
  // One video storage for worker and API, first in and last out.
  let storage: OutputStorage | undefined;
  const running = await startService(config, logger, [
    async () => (storage = instrumentStorage(createOutputStorage(config.storage))),
    // Parts stop in reverse: the API stops accepting first, then the worker drains (RENDER_DRAIN_SECONDS).
    (backend) => startWorkerRuntime({ config, backend, logger, storage: storage!, drainMs: config.drainSeconds * 1000 }),
    (backend) => listenApi({ config, backend, logger, storage: storage!, host: config.host, port: config.port }),
  ]);
  const url = running.parts[2].url;
  logger.info({ url, backend: running.backend.kind, concurrency: config.concurrency }, `render-o11y listening on ${url}`);
  return { ...running, url };
}

if (require.main === module) runMain('render-o11y', startEmbedded);
