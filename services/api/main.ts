/** The API-only process (`npm run api`): serves the API over a shared queue; workers run elsewhere. */
import { runMain } from '../process/lifecycle';
import { startService, type RunningService } from '../process/service';
import type { Config } from '../shared/config';
import type { Logger } from '../telemetry/logger';
import { listenApi } from './server';

/** The API process: its URL besides what every process has. */
export interface RunningApi extends RunningService {
  url: string;
}

/** Opens the backend and serves the API until `close()`. */
export async function startApi(config: Readonly<Config>, logger: Logger): Promise<RunningApi> {
  const running = await startService(config, logger, [
    (backend) => listenApi({ config, backend, logger, host: config.host, port: config.port }),
  ]);
  const url = running.parts[0].url;
  logger.info({ url, backend: running.backend.kind }, `render API listening on ${url}`);
  return { ...running, url };
}

if (require.main === module) runMain('render-api', startApi);
