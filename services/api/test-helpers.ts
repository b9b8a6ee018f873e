/** Starts the real API (and optionally the in-process worker) on a throwaway data dir, for API tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../shared/config';
import type { QueueBackend } from '../queue/contract';
import { startEmbedded } from '../main';
import { startApi } from './main';

/** A running API under test. */
export interface TestApi {
  url: string;
  backend: QueueBackend;
  dataDir: string;
  /** Stops everything and removes the data dir. */
  close(): Promise<void>;
}

/** Starts `services/main.ts` (with worker) or `services/api/main.ts` (without) in-process on 127.0.0.1:0. */
export async function startTestApi(options: { worker: boolean; env?: Record<string, string> }): Promise<TestApi> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-api-'));
  // Tests serve assets and webhooks on loopback, which production refuses: they opt in (RENDER_ALLOW_PRIVATE_URLS).
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    RENDER_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    RENDER_ALLOW_PRIVATE_URLS: 'true',
    // Tests submit in bursts from one client; the limits' own tests set them low again.
    RENDER_SUBMIT_RATE_PER_MINUTE: '1000000',
    RENDER_MAX_ACTIVE_JOBS_PER_CLIENT: '1000000',
    RENDER_MAX_QUEUED_JOBS: '1000000',
    ...options.env,
  });
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const start = options.worker ? startEmbedded : startApi;
  const running = await start(config, logger).catch((err: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  return {
    url: running.url,
    backend: running.backend,
    dataDir,
    async close() {
      try {
        await running.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** fetch + JSON body, for terse assertions. */
// biome-ignore lint/suspicious/noExplicitAny: tests read whatever field of whatever body they assert on
export async function call(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // non-JSON answers (metrics text, videos) stay as text
  }
  return { status: res.status, headers: res.headers, body };
}

/** POSTs `body` as JSON. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
