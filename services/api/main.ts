/** The API-only process (`npm run api`): serves the API over a shared queue; workers run elsewhere. */
import { runMain } from '../process/lifecycle';
import { startService, type RunningService } from '../process/service';
import type { Config } from '../shared/config';
import { createOutputStorage } from '../storage';
import type { OutputStorage } from '../storage/contract';
import type { Logger } from '../telemetry/logger';
import { instrumentStorage } from '../telemetry/storage-telemetry';
import { assertApiExposureAllowed } from './auth';
import { listenApi } from './server';

/** The API process: its URL besides what every process has. */
export interface RunningApi extends RunningService {
  url: string;
}

/** Opens the backend and serves the API until `close()`. */
export async function startApi(config: Readonly<Config>, logger: Logger): Promise<RunningApi> {
  // Protected mode refuses before the backend, storage or worker start.
  assertApiExposureAllowed(config, logger);
  // The video storage is the first part, so it closes last (after the API stops serving downloads).
  let storage: OutputStorage | undefined;
  const running = await startService(config, logger, [
    async () => (storage = instrumentStorage(createOutputStorage(config.storage))),
    (backend) => listenApi({ config, backend, logger, storage: storage!, host: config.host, port: config.port }),
  ]);
  const url = running.parts[1].url;
  logger.info({ url, backend: running.backend.kind }, `render API listening on ${url}`);
  return { ...running, url };
}

if (require.main === module) runMain('render-api', startApi);
