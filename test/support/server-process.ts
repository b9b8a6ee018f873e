/** Starts a server binary (Prometheus, Alertmanager) in a temp dir and waits for its `/-/ready`. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { freePort, waitFor } from './ports';

/** A started server process, its temp dir removed by `stop()`. */
export interface ServerProcess {
  url: string;
  port: number;
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Writes `config` as `<dir>/<configName>` (plus extra files), then runs `binary` with the args
 * `argsFor` builds from the config path, temp dir and a free loopback port.
 */
export async function startServerProcess(options: {
  binary: string;
  configName: string;
  /** The configuration, or a function of the port the server will listen on (a Prometheus scraping itself). */
  config: object | ((port: number) => object);
  files?: Record<string, string>;
  argsFor: (configFile: string, dir: string, port: number) => string[];
}): Promise<ServerProcess> {
  const name = path.basename(options.binary);
  const dir = mkdtempSync(path.join(os.tmpdir(), `render-o11y-${name}-`));
  for (const [file, content] of Object.entries(options.files ?? {})) writeFileSync(path.join(dir, file), content);
  const configFile = path.join(dir, options.configName);
  const port = await freePort();
  writeFileSync(configFile, YAML.stringify(typeof options.config === 'function' ? options.config(port) : options.config));
  const child = spawn(options.binary, options.argsFor(configFile, dir, port), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
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
    await waitFor(
      `${name} ready`,
      async () => {
        if (exited) throw new Error(`${name} exited:\n${out}`);
        return (await fetch(`${url}/-/ready`)).ok;
      },
      20_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, dir, output: () => out, stop };
}
