/** The API-only process (`npm run api`): serves the API over a shared queue; workers run elsewhere. */
import { runMain } from '../process/lifecycle';
import { startService, type RunningService } from '../process/service';
import type { Config } from '../shared/config';
import type { Logger } from '../telemetry/logger';
import { assertApiExposureAllowed } from './protected-mode';
import { listenApi } from './server';

/** The API process: its URL besides what every process has. */
export interface RunningApi extends RunningService {
  url: string;
}

/**
 * Opens the backend and serves the API until `close()`. The API changes statuses too (cancel), so
 * it runs the lifecycle layer's outbox dispatcher like a worker does.
 */
export async function startApi(config: Readonly<Config>, logger: Logger): Promise<RunningApi> {
  // Protected mode refuses before the backend, storage or worker start.
  assertApiExposureAllowed(config, logger);
  const running = await startService(config, logger, async ({ backend, storage, jobs }, parts) => {
    const api = await parts.add(() =>
      listenApi({ config, backend, lifecycle: jobs.lifecycle, logger, storage, host: config.host, port: config.port }),
    );
    return { url: api.url };
  });
  logger.info({ url: running.url, backend: running.backend.kind }, `render API listening on ${running.url}`);
  return running;
}

if (require.main === module) runMain('render-api', startApi);
