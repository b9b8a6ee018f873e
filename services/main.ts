/** The embedded single process (`npm start`): queue backend, worker and API in one process. */
import { assertApiExposureAllowed } from './api/protected-mode';
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
  // Protected mode refuses before the backend, storage or worker start.
  assertApiExposureAllowed(config, logger);
  const running = await startService(config, logger, async ({ backend, storage, jobs }, parts) => {
    // Parts stop in reverse: the API stops accepting first, then the worker drains (RENDER_DRAIN_SECONDS).
    await parts.add(() => startWorkerRuntime({ config, backend, logger, storage, jobs, drainMs: config.drainSeconds * 1000 }));
    const api = await parts.add(() =>
      listenApi({ config, backend, lifecycle: jobs.lifecycle, logger, storage, host: config.host, port: config.port }),
    );
    return { url: api.url };
  });
  logger.info(
    { url: running.url, backend: running.backend.kind, concurrency: config.concurrency },
    `render-o11y listening on ${running.url}`,
  );
  return running;
}

if (require.main === module) runMain('render-o11y', startEmbedded);
