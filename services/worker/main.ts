/**
 * The separate worker process for Redis mode (`npm run worker`): consumes the shared queue and
 * serves its own `/metrics` and `/healthz` on METRICS_PORT, since it has no API to scrape.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createQueueBackend } from '../queue';
import { createOutputStorage } from '../storage';
import { instrumentStorage } from '../telemetry/storage-telemetry';
import type { Config } from '../shared/config';
import { exitOnSignals, loadConfigOrExit } from '../api/lifecycle';
import { createLogger, type Logger } from '../telemetry/logger';
import { metricsRequestHandler } from '../telemetry/metrics-http';
import { startWorkerRuntime } from './runtime';

/** A running worker process. */
export interface WorkerProcess {
  /** Port the metrics/health server listens on. */
  metricsPort: number;
  close(): Promise<void>;
}

/** Opens the backend, starts the worker and the metrics/health server; `close()` stops all three. */
export async function startWorkerProcess(config: Readonly<Config>, logger: Logger): Promise<WorkerProcess> {
  const backend = await createQueueBackend(config, logger);
  const storage = instrumentStorage(createOutputStorage(config.storage));
  let worker: Awaited<ReturnType<typeof startWorkerRuntime>>;
  try {
    worker = await startWorkerRuntime({ config, backend, logger, storage });
  } catch (err) {
    await storage.close();
    await backend.close();
    throw err;
  }
  const metrics = metricsRequestHandler({ token: config.metricsToken });
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && pathname === '/metrics') return void metrics(req, res);
    if (req.method === 'GET' && pathname === '/healthz') {
      const beat = worker.lastHeartbeatAt();
      // Three missed beats means the backend no longer hears from us: report unhealthy so the orchestrator restarts us.
      const healthy = beat !== null && Date.now() - beat < 3 * config.heartbeatMs;
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: healthy ? 'ok' : 'unhealthy',
          workerId: worker.id,
          backend: backend.kind,
          lastHeartbeatAt: beat && new Date(beat).toISOString(),
        }),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'only /metrics and /healthz are served here' } }));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.metricsPort, config.host, () => resolve());
    });
  } catch (err) {
    await worker.close();
    await storage.close();
    await backend.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, backend: backend.kind }, `worker metrics on :${port}/metrics`);
  let closing: Promise<void> | undefined;
  return {
    metricsPort: port,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await worker.close();
        await storage.close();
        await backend.close();
      })();
      return closing;
    },
  };
}

if (require.main === module) {
  const config = loadConfigOrExit();
  const logger = createLogger('render-o11y-worker', config.logLevel);
  startWorkerProcess(config, logger).then(
    (proc) => exitOnSignals(() => proc.close(), logger),
    (err) => {
      console.error('render worker failed to start:', err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
