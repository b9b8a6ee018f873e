/** The API-only process (`npm run api`): serves the API over a shared queue; workers run elsewhere. */
import type { QueueBackend } from '../queue/contract';
import { createQueueBackend } from '../queue';
import { createOutputStorage } from '../storage';
import type { OutputStorage } from '../storage/contract';
import { instrumentStorage } from '../telemetry/storage-telemetry';
import type { Config } from '../shared/config';
import { createLogger, type Logger } from '../telemetry/logger';
import { exitOnSignals, loadConfigOrExit } from './lifecycle';
import { listenApi } from './server';

/** Options for starting the API in-process (tests) or as the entry point. */
export interface ApiServerOptions {
  config?: Readonly<Config>;
  logger?: Logger;
  /** Install SIGTERM/SIGINT handlers that stop and exit (the entry point does; tests do not). */
  handleSignals?: boolean;
}

/** A running API process. */
export interface RunningApi {
  url: string;
  config: Readonly<Config>;
  backend: QueueBackend;
  storage: OutputStorage;
  close(): Promise<void>;
}

/** Opens the backend and serves the API until `close()`. */
export async function startServer(options: ApiServerOptions = {}): Promise<RunningApi> {
  const config = options.config ?? loadConfigOrExit();
  const logger = options.logger ?? createLogger('render-api', config.logLevel);
  const backend = await createQueueBackend(config, logger);
  const storage = instrumentStorage(createOutputStorage(config.storage));
  let api: Awaited<ReturnType<typeof listenApi>>;
  try {
    api = await listenApi({ config, backend, logger, storage, host: config.host, port: config.port });
  } catch (err) {
    await storage.close();
    await backend.close();
    throw err;
  }
  logger.info({ url: api.url, backend: backend.kind }, `render API listening on ${api.url}`);
  const close = async () => {
    await api.close();
    await storage.close();
    await backend.close();
  };
  if (options.handleSignals) exitOnSignals(close, logger);
  return { url: api.url, config, backend, storage, close };
}

if (require.main === module) {
  startServer({ handleSignals: true }).catch((err) => {
    console.error('render API failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
