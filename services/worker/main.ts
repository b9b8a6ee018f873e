/**
 * The separate worker process for Redis mode (`npm run worker`): consumes the shared queue and
 * serves its own `/metrics` and `/healthz` on METRICS_PORT, since it has no API to scrape.
 */
import { runMain } from '../process/lifecycle';
import { startService, type RunningService } from '../process/service';
import type { Config } from '../shared/config';
import { createOutputStorage } from '../storage';
import type { OutputStorage } from '../storage/contract';
import type { Logger } from '../telemetry/logger';
import { instrumentStorage } from '../telemetry/storage-telemetry';
import { listenMetricsServer } from './metrics-server';
import { startWorkerRuntime } from './runtime';

/** A running worker process: the port its metrics/health server listens on. */
export interface RunningWorker extends RunningService {
  metricsPort: number;
}

/** Opens the backend, starts the worker, then its metrics/health server; `close()` stops them in reverse. */
export async function startWorkerProcess(config: Readonly<Config>, logger: Logger): Promise<RunningWorker> {
  let runtime: Awaited<ReturnType<typeof startWorkerRuntime>> | undefined;
  // The video storage is the first part, so it closes last (after running jobs are handed back).
  let storage: OutputStorage | undefined;
  const running = await startService(config, logger, [
    async () => (storage = instrumentStorage(createOutputStorage(config.storage))),
    async (backend) =>
      (runtime = await startWorkerRuntime({ config, backend, logger, storage: storage!, drainMs: config.drainSeconds * 1000 })),
    async (backend) => {
      const server = await listenMetricsServer(config, runtime!, backend.kind, logger);
      // Closed first: the worker drains (RENDER_DRAIN_SECONDS) while /metrics and /healthz still answer.
      return {
        port: server.port,
        close: async () => {
          await runtime!.close();
          await server.close();
        },
      };
    },
  ]);
  return { ...running, metricsPort: running.parts[2].port };
}

if (require.main === module) runMain('render-o11y-worker', startWorkerProcess);
