/**
 * The separate worker process for Redis mode (`npm run worker`): consumes the shared queue and
 * serves its own `/metrics` and `/healthz` on METRICS_PORT, since it has no API to scrape.
 */
import { runMain } from '../process/lifecycle';
import { startService, type RunningService } from '../process/service';
import type { Config } from '../shared/config';
import type { Logger } from '../telemetry/logger';
import { listenMetricsServer } from './metrics-server';
import { startWorkerRuntime } from './runtime';

/** A running worker process: the port its metrics/health server listens on. */
export interface RunningWorker extends RunningService {
  metricsPort: number;
}

/** Opens the backend, starts the worker, then its metrics/health server; `close()` stops them in reverse. */
export async function startWorkerProcess(config: Readonly<Config>, logger: Logger): Promise<RunningWorker> {
  return startService(config, logger, async ({ backend, storage, jobs }, parts) => {
    const runtime = await parts.add(() =>
      startWorkerRuntime({ config, backend, logger, storage, jobs, drainMs: config.drainSeconds * 1000 }),
    );
    const server = await parts.add(async () => {
      const metrics = await listenMetricsServer(config, runtime, backend.kind, logger);
      // Closed first: the worker drains (RENDER_DRAIN_SECONDS) while /metrics and /healthz still answer.
      return {
        port: metrics.port,
        close: async () => {
          await runtime.close();
          await metrics.close();
        },
      };
    });
    return { metricsPort: server.port };
  });
}

if (require.main === module) runMain('render-o11y-worker', startWorkerProcess);
