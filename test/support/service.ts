/**
 * Starts the real services as child processes, the way users run them (`node --import tsx
 * --import ./instrumentation/register.ts <entry>`), for end-to-end tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './ports';

/** The repository root. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * Whether services start with telemetry when a test does not say: `make test` runs the functional
 * tests a second time with RENDER_TEST_TELEMETRY=off, i.e. OTEL_SDK_DISABLED=true.
 */
export const TELEMETRY_BY_DEFAULT = process.env.RENDER_TEST_TELEMETRY !== 'off';

/** Which process to start. */
export type Entry = 'services/main.ts' | 'services/api/main.ts' | 'services/worker/main.ts';

/** Options for startService; `env` overrides everything else. */
export interface ServiceOptions {
  entry?: Entry;
  env?: Record<string, string | undefined>;
  /** Reuse a data dir (restart tests); a fresh temp dir otherwise, removed by `cleanup()`. */
  dataDir?: string;
  /** Telemetry on or OTEL_SDK_DISABLED=true; unset follows TELEMETRY_BY_DEFAULT. */
  telemetry?: boolean;
  readyTimeoutMs?: number;
  /** When the process counts as started; default: `/healthz` answers 2xx. */
  startedWhen?: (health: Response) => boolean;
  /**
   * Run the compiled build (`npm run build` -> dist/) with plain node, as the Docker image does,
   * instead of the TypeScript sources through tsx. The caller builds first.
   */
  compiled?: boolean;
  /** CPUs the process may run on (`taskset -c` list, e.g. "1"), for benches that keep the load generator off the service's core. */
  cpus?: string;
  /** The port to serve on (API, or the worker's metrics server); a free one when unset. */
  port?: number;
}

/** A started service. */
export interface RunningService {
  /** Base URL: the API for main/api entries, the metrics server for the worker. */
  url: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed by a signal). */
  stop(graceMs?: number): Promise<number | null>;
  /** Removes the temp data dir this helper created. */
  cleanup(): void;
}

/** Starts a service and waits until `/healthz` answers. */
export async function startService(options: ServiceOptions = {}): Promise<RunningService> {
  const entry = options.entry ?? 'services/main.ts';
  const ownDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'render-o11y-test-'));
  const port = options.port ?? (await freePort());
  const isWorker = entry === 'services/worker/main.ts';
  const env: Record<string, string | undefined> = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: isWorker ? undefined : String(port),
    METRICS_PORT: isWorker ? String(port) : String(await freePort()),
    RENDER_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    OTEL_SDK_DISABLED: (options.telemetry ?? TELEMETRY_BY_DEFAULT) ? 'false' : 'true',
    OTEL_TRACES_EXPORTER: 'none',
    // Tests serve assets and webhooks on loopback, which production refuses: they opt in.
    RENDER_ALLOW_PRIVATE_URLS: 'true',
    // Tests and benches submit in bursts from one client; the limits' own tests set them low again.
    RENDER_SUBMIT_RATE_PER_MINUTE: '1000000',
    RENDER_MAX_ACTIVE_JOBS_PER_CLIENT: '1000000',
    RENDER_MAX_QUEUED_JOBS: '1000000',
    ...options.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const args = options.compiled
    ? ['--import', './dist/instrumentation/register.js', path.join('dist', entry.replace(/\.ts$/, '.js'))]
    : ['--import', 'tsx', '--import', './instrumentation/register.ts', entry];
  // taskset execs the command, so the child's pid is the service's own.
  const [command, argv] = options.cpus ? ['taskset', ['-c', options.cpus, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(command, argv, {
    cwd: REPO_ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  let exited = false;
  let exitedHow = '';
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      exitedHow = signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      `${entry} /healthz`,
      async () => {
        if (exited) throw new Error(`process exited early (${exitedHow}):\n${out}`);
        const health = await fetch(`${url}/healthz`);
        return options.startedWhen ? options.startedWhen(health) : health.ok;
      },
      options.readyTimeoutMs ?? 30_000,
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${String(err)}\n--- output ---\n${out}`);
  }
  return {
    url,
    port,
    dataDir,
    child,
    output: () => out,
    async stop(graceMs = 8000) {
      if (exited) return exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
    cleanup() {
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
