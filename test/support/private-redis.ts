/** A private redis-server with AOF persistence on a free loopback port, which a test can shut down and restart. */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './ports';

/** A running private Redis: `shutdown()` as an operator would (SHUTDOWN), `start()` again on the same data. */
export interface PrivateRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  shutdown(): Promise<void>;
  /** Stops it (if running) and removes its data dir. */
  destroy(): Promise<void>;
}

function ping(port: number): boolean {
  try {
    return (
      execFileSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() === 'PONG'
    );
  } catch {
    return false;
  }
}

/**
 * Starts redis-server in a temp dir with `appendonly yes` (as docker-compose runs it), or without
 * persistence for a bench that measures reads (`{ appendonly: false }`).
 */
export async function startPrivateRedis(options: { appendonly?: boolean } = {}): Promise<PrivateRedis> {
  const persistence = options.appendonly === false ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always'];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-redis-'));
  const port = await freePort();
  let running = false;
  const start = async () => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistence, '--save', '', '--dir', dir], {
      stdio: 'ignore',
      detached: false,
    });
    child.unref();
    await waitFor('private redis up', () => ping(port), 10_000, 50);
    running = true;
  };
  const shutdown = async () => {
    if (!running) return;
    try {
      execFileSync('redis-cli', ['-p', String(port), 'shutdown'], { stdio: 'ignore' });
    } catch {
      // SHUTDOWN closes the connection before answering
    }
    await waitFor('private redis down', () => !ping(port), 10_000, 50);
    running = false;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    shutdown,
    async destroy() {
      await shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
