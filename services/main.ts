/** The embedded single process (`npm start`): queue backend, API and worker in one process. */
import { createQueueBackend } from './queue';
import { createOutputStorage } from './storage';
import { instrumentStorage } from './telemetry/storage-telemetry';
import { startWorkerRuntime } from './worker/runtime';
import { exitOnSignals, loadConfigOrExit } from './api/lifecycle';
import { listenApi } from './api/server';
import type { ApiServerOptions, RunningApi } from './api/main';
import { createLogger } from './telemetry/logger';

/** A running single process: the same handle as the API-only process. */
export type RunningService = RunningApi;

/** Starts backend, worker and API; `close()` stops them in reverse order. */
export async function startServer(options: ApiServerOptions = {}): Promise<RunningService> {
  const config = options.config ?? loadConfigOrExit();
  const logger = options.logger ?? createLogger('render-o11y', config.logLevel);
  const backend = await createQueueBackend(config, logger);
  const storage = instrumentStorage(createOutputStorage(config.storage));
  let worker: Awaited<ReturnType<typeof startWorkerRuntime>> | undefined;
  let api: Awaited<ReturnType<typeof listenApi>> | undefined;
  try {
    worker = await startWorkerRuntime({ config, backend, logger, storage });
    api = await listenApi({ config, backend, logger, storage, host: config.host, port: config.port });
  } catch (err) {
    await worker?.close();
    await storage.close();
    await backend.close();
    throw err;
  }
  logger.info({ url: api.url, backend: backend.kind, concurrency: config.concurrency }, `render-o11y listening on ${api.url}`);
  const running = { api, worker };
  // The API stops first so no new job arrives while the worker hands its running ones back for recovery.
  const close = async () => {
    await running.api.close();
    await running.worker.close();
    await storage.close();
    await backend.close();
  };
  if (options.handleSignals) exitOnSignals(close, logger);
  return { url: api.url, config, backend, storage, close };
}

if (require.main === module) {
  startServer({ handleSignals: true }).catch((err) => {
    console.error('render-o11y failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
