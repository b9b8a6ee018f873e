import { test } from 'vitest';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createQueueBackend } from '../queue';
import { deleteRedisKeys, redisTestUrl } from '../../test/support/queue';
import { newJobRecord } from '../shared/job';
import { deck, quietLogger, testConfig } from '../../test/support/worker';

test('a separate worker process renders a job queued in Redis by another process', { timeout: 90_000 }, async () => {
  const queueName = `w-${randomUUID().slice(0, 8)}`;
  const env = { REDIS_URL: redisTestUrl(), RENDER_QUEUE_NAME: queueName, RENDER_HEARTBEAT_MS: '200' };
  const { config, dir, cleanup } = testConfig(env);
  const backend = await createQueueBackend(config, quietLogger);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'main.ts')], {
    env: { ...process.env, ...env, RENDER_DATA_DIR: dir, METRICS_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    const id = randomUUID();
    await backend.store.create(newJobRecord(id, deck({ slides: [{ title: 'redis', duration: 1 }] }), config.maxAttempts));
    await backend.enqueue(id, {});
    let job = await backend.store.get(id);
    for (let i = 0; i < 1200 && job && !['completed', 'failed'].includes(job.status); i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = await backend.store.get(id);
    }
    assert.equal(job?.status, 'completed', JSON.stringify(job?.error));
    // No RENDER_STORAGE_URL: the worker stored the video in the local outputs folder under its attempt's key.
    assert.ok(job?.outputKey && existsSync(path.join(config.outputDir, job.outputKey)), JSON.stringify(job));
    assert.ok((await backend.workers()).length >= 1, 'the worker process heartbeats to Redis');
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await backend.close();
    await deleteRedisKeys(redisTestUrl(), queueName);
    cleanup();
  }
});
