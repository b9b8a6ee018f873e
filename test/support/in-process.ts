/** Starts an entry point's start function in-process on 127.0.0.1:0 over a throwaway data dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { QueueBackend } from '../../services/queue/contract';
import { type Config, loadConfig } from '../../services/shared/config';
import type { Logger } from '../../services/telemetry/logger';

/** A running API under test. */
export interface TestApi {
  url: string;
  backend: QueueBackend;
  dataDir: string;
  /** Stops everything and removes the data dir. */
  close(): Promise<void>;
}

/** What `startApi` and `startEmbedded` have in common. */
type Start = (config: Config, logger: Logger) => Promise<{ url: string; backend: QueueBackend; close(): Promise<void> }>;

/** Runs `start` with the test defaults below, then `env` on top. */
export async function startInProcess(start: Start, env: Record<string, string> = {}): Promise<TestApi> {
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
    ...env,
  });
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
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
