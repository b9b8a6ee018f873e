/**
 * The worker process's own small HTTP server: `/metrics` for Prometheus and `/healthz` for the
 * orchestrator, since a worker has no API to be scraped or probed through.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkerHandle } from '../queue/contract';
import { isAlive } from '../queue/liveness';
import type { MetricsServerConfig } from '../shared/config';
import { BadRequestError } from '../shared/errors';
import type { Logger } from '../telemetry/logger';
import { metricsRequestHandler } from '../telemetry/metrics-http';

/** A listening metrics/health server. */
export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Serves `/metrics` (token-protected when configured) and `/healthz` for `worker` on METRICS_PORT. */
export async function listenMetricsServer(
  config: MetricsServerConfig,
  worker: WorkerHandle,
  backendKind: string,
  logger: Logger,
): Promise<MetricsServer> {
  const metrics = metricsRequestHandler({ token: config.metricsToken });
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && pathname === '/metrics') return void metrics(req, res);
    if (req.method === 'GET' && pathname === '/healthz') {
      const beat = worker.lastHeartbeatAt();
      // A worker the backend would count as dead reports unhealthy, so the orchestrator restarts it.
      const healthy = beat !== null && isAlive(beat, Date.now(), config.heartbeatMs);
      return sendJson(res, healthy ? 200 : 503, {
        status: healthy ? 'ok' : 'unhealthy',
        workerId: worker.id,
        backend: backendKind,
        lastHeartbeatAt: beat && new Date(beat).toISOString(),
      });
    }
    const notFound = new BadRequestError('NOT_FOUND', req.method ?? 'GET', pathname);
    sendJson(res, notFound.httpStatus, notFound.toResponseBody());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.metricsPort, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, backend: backendKind }, `worker metrics on :${port}/metrics`);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
