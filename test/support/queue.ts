/** Helpers for the queue tests: real backends on a temp SQLite file or the test Redis, and cleanup. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import type { QueueBackend } from '../../services/queue/contract';
import { createEmbeddedBackend } from '../../services/queue/embedded';
import { createBullmqBackend, type BullmqOptions } from '../../services/queue/bullmq';
import { newJobRecord, type JobRecord } from '../../services/shared/job';
import { renderRequestSchema } from '../../services/shared/request';
import { createLogger } from '../../services/telemetry/logger';

/** A logger that writes nothing. */
export const quietLogger = createLogger('queue-test', 'silent');

/** Which backend a test runs against. */
export type BackendKind = 'embedded' | 'bullmq';

/** The test Redis URL; fails loudly instead of silently skipping the Redis half of the suite. */
export function redisTestUrl(): string {
  const url = process.env.REDIS_TEST_URL;
  if (!url) throw new Error('REDIS_TEST_URL is not set: run through scripts/with-redis.sh');
  return url;
}

/** A fresh queue (unique name or temp dir) of `kind`, with `reopen` for a second backend on the same data, and `cleanup`. */
export async function freshQueue(kind: BackendKind, bullmq: BullmqOptions = {}) {
  const queueName = `t-${randomUUID().slice(0, 12)}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'render-queue-'));
  const opened: QueueBackend[] = [];
  const open = async (): Promise<QueueBackend> => {
    const backend =
      kind === 'embedded'
        ? await createEmbeddedBackend({ dataDir, queueName }, quietLogger)
        : await createBullmqBackend({ queueName, redisUrl: redisTestUrl() }, quietLogger, bullmq);
    opened.push(backend);
    return backend;
  };
  const cleanup = async (): Promise<void> => {
    await Promise.all(opened.map((b) => b.close()));
    if (kind === 'bullmq') await deleteRedisKeys(redisTestUrl(), queueName);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { queueName, dataDir, open, cleanup };
}

/** Deletes our keys and BullMQ's for one queue. */
export async function deleteRedisKeys(url: string, queueName: string): Promise<void> {
  const redis = new IORedis(url, { maxRetriesPerRequest: 1 });
  try {
    // The chunk queue of split jobs too (`<queue>-chunks`).
    for (const pattern of [`render-o11y:${queueName}:*`, `bull:${queueName}:*`, `bull:${queueName}-chunks:*`]) {
      const stream = redis.scanStream({ match: pattern, count: 500 });
      for await (const keys of stream) if ((keys as string[]).length) await redis.del(...(keys as string[]));
    }
  } finally {
    redis.disconnect();
  }
}

const request = renderRequestSchema.parse({ title: 'queue test', slides: [{ title: 'one' }] });

/** A stored-shape job record created at `createdAt`. */
export function jobRecord(id: string, createdAt = new Date()): JobRecord {
  return newJobRecord(id, request, 3, createdAt);
}

/** Polls `check` every 20 ms until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves with the signal's reason once it aborts. */
export function aborted(signal: AbortSignal): Promise<unknown> {
  return signal.aborted
    ? Promise.resolve(signal.reason)
    : new Promise((r) => signal.addEventListener('abort', () => r(signal.reason), { once: true }));
}

/** Starts `crash-worker.ts` and resolves with the first attempt it starts; the caller kills it. */
export function startCrashWorker(env: Record<string, string>): {
  child: ChildProcess;
  started: Promise<{ started: string; attempt: number }>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'crash-worker.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = new Promise<{ started: string; attempt: number }>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n').slice(0, -1)) {
        const msg = JSON.parse(line) as { started?: string; attempt?: number };
        if (msg.started) resolve({ started: msg.started, attempt: msg.attempt! });
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => reject(new Error(`crash worker exited early (${code})`)));
  });
  return { child, started };
}

/** SIGKILLs a child (no cleanup runs, like a crash) and waits until it is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
