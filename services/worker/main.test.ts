import { test } from 'vitest';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startWorkerProcess } from './main';
import { quietLogger, testConfig } from '../../test/support/worker';

const MAIN = path.join(__dirname, 'main.ts');

test('serves /healthz and /metrics (token-protected when set) and closes cleanly', { timeout: 30_000 }, async () => {
  const { config, cleanup } = testConfig({ METRICS_PORT: '0', HOST: '127.0.0.1', METRICS_TOKEN: 'tok', RENDER_HEARTBEAT_MS: '200' });
  const proc = await startWorkerProcess(config, quietLogger);
  try {
    const base = `http://127.0.0.1:${proc.metricsPort}`;
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    assert.equal((await fetch(`${base}/metrics`)).status, 401);
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer tok' } });
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    await metrics.text();
    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
  } finally {
    await proc.close();
    cleanup();
  }
});

function run(env: NodeJS.ProcessEnv, onStdout?: (line: string) => void) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, REDIS_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.on('data', (c: Buffer) =>
    c
      .toString()
      .split('\n')
      .filter(Boolean)
      .forEach((l) => {
        onStdout?.(l);
      }),
  );
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
  return { child, exited };
}

test('a bad environment value exits 1 naming the variable', { timeout: 30_000 }, async () => {
  const { exited } = run({ RENDER_CONCURRENCY: 'lots' });
  const { code, stderr } = await exited;
  assert.equal(code, 1);
  assert.match(stderr, /RENDER_CONCURRENCY/);
});

test('SIGTERM shuts the worker process down with exit 0', { timeout: 30_000 }, async () => {
  const { dir, cleanup } = testConfig();
  let ready!: () => void;
  const started = new Promise<void>((r) => (ready = r));
  const { child, exited } = run({ RENDER_DATA_DIR: dir, METRICS_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' }, (line) => {
    if (line.includes('worker metrics on')) ready();
  });
  try {
    await Promise.race([started, exited.then(({ stderr }) => Promise.reject(new Error(`exited early: ${stderr}`)))]);
    child.kill('SIGTERM');
    assert.equal((await exited).code, 0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    cleanup();
  }
});
