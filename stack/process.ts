/**
 * One stack part as a child process: its own process group (stop() ends the part and anything it
 * spawned), output appended to a log file in its folder, started only once its ports are free, and
 * returned only once it answers its readiness check.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { assertPortFree } from './ports';

/** A running part. */
export interface RunningPart<P = unknown> {
  name: string;
  pid: number;
  /** This part's own listeners. */
  ports: P;
  /** Base URLs of its HTTP endpoints, e.g. `{ http: 'http://127.0.0.1:9090' }`. */
  urls: Record<string, string>;
  /** Its stdout and stderr. */
  logPath: string;
  /** Resolves when the process has exited, for whatever reason. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (a part that dies, for failure tests); resolves once it has exited. */
  kill(): Promise<void>;
}

export interface SpawnPartOptions<P> {
  name: string;
  binary: string;
  args: string[];
  /** Where `<name>.log` goes; also the working directory unless `cwd` is given. */
  dir: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  ports: P;
  /** Every listener the part opens, checked free before it starts. */
  listeners: { name: string; port: number }[];
  urls: Record<string, string>;
  /** True when the part is ready (errors count as not yet). */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

/** The last `lines` lines of a log, for error messages. */
export function tailOf(logPath: string, lines = 30): string {
  try {
    return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function spawnPart<P>(o: SpawnPartOptions<P>): Promise<RunningPart<P>> {
  for (const l of o.listeners) await assertPortFree(l.port, `${o.name} ${l.name}`);
  mkdirSync(o.dir, { recursive: true });
  const logPath = path.join(o.dir, `${o.name}.log`);
  const fd = openSync(logPath, 'a');
  const child = spawn(o.binary, o.args, {
    cwd: o.cwd ?? o.dir,
    env: { ...process.env, ...o.env },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    child.once('error', () => {
      done = true;
      resolve({ code: null, signal: null });
    });
  });
  const signalGroup = (sig: NodeJS.Signals) => {
    if (done || !child.pid) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // Already gone.
    }
  };
  const stop = async (graceMs = 10_000) => {
    signalGroup('SIGTERM');
    const t = setTimeout(() => signalGroup('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  };
  const kill = async () => {
    signalGroup('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (done) {
      const { code, signal } = await exited;
      throw new Error(`${o.name} exited before it was ready (code ${code}, signal ${signal}); ${logPath}:\n${tailOf(logPath)}`);
    }
    if (await o.ready().catch(() => false)) break;
    if (Date.now() > deadline) {
      await stop(2000);
      throw new Error(`${o.name} was not ready within ${o.readyTimeoutMs ?? 60_000} ms; ${logPath}:\n${tailOf(logPath)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { name: o.name, pid: child.pid ?? 0, ports: o.ports, urls: o.urls, logPath, exited, stop, kill };
}

/** True when GET `url` answers 2xx within a second. */
export async function httpOk(url: string, init: RequestInit = {}): Promise<boolean> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(1000) });
  await res.arrayBuffer();
  return res.ok;
}
