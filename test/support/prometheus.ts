/** Runs Debian's real Prometheus for end-to-end tests, with a config the test writes. */
import path from 'node:path';
import { waitFor } from './ports';
import { startServerProcess } from './server-process';

/** One instant-query result sample. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A running Prometheus. */
export interface RunningPrometheus {
  url: string;
  /** Instant query; throws on an error answer (bad PromQL included). */
  query(expr: string): Promise<Sample[]>;
  /** Raw API GET (e.g. `/api/v1/targets`, `/api/v1/alerts`). */
  api(pathAndQuery: string): Promise<any>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Writes `config` (and any extra files, relative to a temp dir) and starts Prometheus on a free
 * loopback port; `config` may be a function of that port (to scrape Prometheus itself).
 */
export async function startPrometheus(
  config: object | ((port: number) => object),
  files: Record<string, string> = {},
  extraArgs: string[] = [],
): Promise<RunningPrometheus> {
  const server = await startServerProcess({
    binary: 'prometheus',
    configName: 'prometheus.yml',
    config,
    files,
    argsFor: (configFile, dir, port) => [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...extraArgs,
    ],
  });
  return { ...prometheusClient(server.url), output: server.output, stop: server.stop };
}

/** The query side of a Prometheus at `url` (one started here or by stack/launch.ts). */
export function prometheusClient(url: string): Pick<RunningPrometheus, 'url' | 'query' | 'api'> {
  const api = async (p: string) => {
    const res = await fetch(`${url}${p}`);
    const body = (await res.json()) as { status: string; data: any; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${p}: ${body.error}`);
    return body.data;
  };
  return {
    url,
    api,
    async query(expr: string) {
      const data = await api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      return data.result as Sample[];
    },
  };
}

/** Waits until every target of the running Prometheus is up (scraped at least once). */
export async function waitForTargetsUp(prom: RunningPrometheus, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    'all scrape targets up',
    async () => {
      const data = await prom.api('/api/v1/targets');
      const active = data.activeTargets as { health: string }[];
      return active.length > 0 && active.every((t) => t.health === 'up');
    },
    timeoutMs,
    250,
  );
}
