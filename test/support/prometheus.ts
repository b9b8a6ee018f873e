/** Runs Debian's real Prometheus for end-to-end tests, with a config the test writes. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { freePort, waitFor } from './ports';

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

/** Writes `config` (and any extra files, relative to a temp dir) and starts Prometheus on a free loopback port. */
export async function startPrometheus(config: object, files: Record<string, string> = {}, extraArgs: string[] = []): Promise<RunningPrometheus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-prom-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  const configFile = path.join(dir, 'prometheus.yml');
  writeFileSync(configFile, YAML.stringify(config));
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn', ...extraArgs],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('prometheus ready', async () => {
      if (exited) throw new Error(`prometheus exited:\n${out}`);
      return (await fetch(`${url}/-/ready`)).ok;
    }, 20_000);
  } catch (err) {
    await stop();
    throw err;
  }
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
    output: () => out,
    stop,
  };
}

/** Waits until every target of the running Prometheus is up (scraped at least once). */
export async function waitForTargetsUp(prom: RunningPrometheus, timeoutMs = 20_000): Promise<void> {
  await waitFor('all scrape targets up', async () => {
    const data = await prom.api('/api/v1/targets');
    const active = data.activeTargets as { health: string }[];
    return active.length > 0 && active.every((t) => t.health === 'up');
  }, timeoutMs, 250);
}
