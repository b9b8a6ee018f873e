/** The embedded single process (`npm start`): queue backend, API and worker in one process. */
import { createQueueBackend } from './queue';
import { startWorkerRuntime } from './worker/runtime';
import { exitOnSignals, loadConfigOrExit, SHUTDOWN_GRACE_MS } from './api/lifecycle';
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
  let worker: Awaited<ReturnType<typeof startWorkerRuntime>> | undefined;
  let api: Awaited<ReturnType<typeof listenApi>> | undefined;
  try {
    worker = await startWorkerRuntime({ config, backend, logger });
    api = await listenApi({ config, backend, logger, host: config.host, port: config.port });
  } catch (err) {
    await worker?.close();
    await backend.close();
    throw err;
  }
  logger.info({ url: api.url, backend: backend.kind, concurrency: config.concurrency }, `render-o11y listening on ${api.url}`);
  const running = { api, worker };
  // The API stops accepting first (readiness fails, in-flight requests finish) while the worker drains:
  // running attempts finish for up to RENDER_DRAIN_SECONDS, the rest go back to the queue unconsumed.
  const drainMs = config.drainSeconds * 1000;
  const close = async () => {
    await Promise.all([running.api.close(), running.worker.close({ drainMs })]);
    await backend.close();
  };
  if (options.handleSignals) exitOnSignals(close, logger, drainMs + SHUTDOWN_GRACE_MS);
  return { url: api.url, config, backend, close };
}

if (require.main === module) {
  startServer({ handleSignals: true }).catch((err) => {
    console.error('render-o11y failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
