/** Helpers for the worker tests: a stage context on a temp dir, a local asset server, process checks. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../shared/config';
import { renderRequestSchema, type RenderRequest } from '../shared/request';
import { createLogger } from '../telemetry/logger';
import type { SlideWork, StageContext } from './stages/context';
import { createLocalStorage } from '../storage/local';

/** A logger that writes nothing. */
export const quietLogger = createLogger('worker-test', 'silent');

/** A config whose data and output dirs live in a fresh temp dir; `env` overrides variables. */
export function testConfig(env: NodeJS.ProcessEnv = {}): { config: Readonly<Config>; dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-worker-test-'));
  // Worker tests serve their assets and webhooks on loopback, which production refuses: they opt in
  // (tests of the refusal itself pass RENDER_ALLOW_PRIVATE_URLS=false).
  const config = loadConfig({ RENDER_DATA_DIR: dir, RENDER_BACKOFF_MS: '10', RENDER_ALLOW_PRIVATE_URLS: 'true', ...env });
  return { config, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Parses a deck (defaults filled in) for a small, fast render. */
export function deck(body: Record<string, unknown>): RenderRequest {
  return renderRequestSchema.parse({
    title: 'test deck',
    config: { width: 320, height: 180, fps: 12, quality: 'low', voice: 'en-us' },
    ...body,
  });
}

/** A stage context on a fresh scratch dir (removed by `cleanup`). */
export function stageContext(request: RenderRequest, options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}) {
  const { config, dir, cleanup } = testConfig(options.env);
  const scratchDir = mkdtempSync(path.join(dir, 'scratch-'));
  const ctx: StageContext = {
    jobId: 'job-test',
    attempt: 1,
    storage: createLocalStorage(config.outputDir),
    request,
    config,
    scratchDir,
    signal: options.signal ?? new AbortController().signal,
    logger: quietLogger,
  };
  return { ctx, config, cleanup };
}

/** Slides with no local assets yet, as fetch would return for a deck without URLs. */
export function bareWork(request: RenderRequest): SlideWork[] {
  return request.slides.map((slide, index) => ({ slide, index, assets: { imagePath: null, audioPath: null } }));
}

/** Starts an http server on 127.0.0.1:0; returns its base URL and a close that ends every connection. */
export async function serveHttp(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** True while a process with this pid exists (and is not a zombie awaiting its parent). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A loopback listener that must never be reached: it counts every connection it accepts, then drops it. */
export interface Canary {
  port: number;
  hits(): number;
  close(): Promise<void>;
}

/** Starts a canary on `host` (a loopback address); null when the host cannot listen there (e.g. IPv6 disabled). */
export async function listenCanary(host = '127.0.0.1'): Promise<Canary | null> {
  let hits = 0;
  const server = net.createServer((socket) => {
    hits++;
    socket.destroy();
  });
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, host, () => resolve(true));
  });
  if (!ok) return null;
  return {
    port: (server.address() as net.AddressInfo).port,
    hits: () => hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
