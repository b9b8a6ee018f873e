import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { observeQueue, setMemoryLimit } from '../telemetry/metrics';
import { createApp, type AppDeps } from './app';
import { boundHttpServer, connectionsCheckingIntervalMs } from './http-bounds';

/** A listening API: its URL and how to stop it. */
export interface ListeningApi {
  server: Server;
  url: string;
  /** Stops accepting, lets in-flight requests finish briefly, then drops what is left. */
  close(): Promise<void>;
}

/** How long in-flight requests may take to finish once the server closes. */
const DRAIN_MS = 2000;

/** Creates the app, observes the queue (once per API process) and listens on `host:port` (0 = ephemeral). */
export async function listenApi(deps: AppDeps & { host: string; port: number }): Promise<ListeningApi> {
  const { backend } = deps;
  const drain = { draining: false };
  const app = createApp({ ...deps, drain });
  const server = createServer({ connectionsCheckingInterval: connectionsCheckingIntervalMs }, app);
  boundHttpServer(server, deps.config.http);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.port, deps.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  setMemoryLimit(deps.config.memoryLimitBytes);
  const stopObserving = observeQueue(async () => ({ ...(await backend.counts()), workersAlive: (await backend.workers()).length }));
  const { port } = server.address() as AddressInfo;
  const shownHost = deps.host === '0.0.0.0' || deps.host === '::' ? 'localhost' : deps.host;
  let closing: Promise<void> | undefined;
  return {
    server,
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        // Readiness fails at once for requests still arriving on open connections; no new connection is accepted.
        drain.draining = true;
        stopObserving();
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), DRAIN_MS).unref();
      });
      return closing;
    },
  };
}
