/** The embedded single process (`npm start`): queue backend, worker and API in one process. */
import { listenApi } from './api/server';
import { runMain } from './process/lifecycle';
import { startService, type RunningService } from './process/service';
import type { Config } from './shared/config';
import type { Logger } from './telemetry/logger';
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
  const running = await startService(config, logger, [
    (backend) => startWorkerRuntime({ config, backend, logger }),
    (backend) => listenApi({ config, backend, logger, host: config.host, port: config.port }),
  ]);
  const url = running.parts[1].url;
  logger.info({ url, backend: running.backend.kind, concurrency: config.concurrency }, `render-o11y listening on ${url}`);
  return { ...running, url };
}

if (require.main === module) runMain('render-o11y', startEmbedded);
