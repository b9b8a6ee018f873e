/** The worker's housekeeping against the real embedded backend: free-space gate, storage gauge and retention. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { installTestTelemetry } from '../../instrumentation/testing';
import { startJobs } from '../jobs';
import { createEmbeddedBackend } from '../queue/embedded';
import { newJobRecord } from '../shared/job';
import { createLocalStorage } from '../storage/local';
import { sweepExpiredJobs } from './retention';
import { startWorkerRuntime } from './runtime';
import { deck, quietLogger, testConfig } from './test-support';

const telemetry = installTestTelemetry();

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('below RENDER_MIN_FREE_BYTES a taken job stays queued (not failed) until cancelled; free space is exported per volume', {
  timeout: 30_000,
}, async () => {
  // More free bytes than any disk has: every volume is "low".
  const { config, cleanup } = testConfig({ RENDER_MIN_FREE_BYTES: String(2 ** 52), RENDER_HEARTBEAT_MS: '200' });
  const backend = await createEmbeddedBackend(config, quietLogger);
  const jobs = startJobs({ backend, config, logger: quietLogger });
  const worker = await startWorkerRuntime({ backend, config, logger: quietLogger, storage: createLocalStorage(config.outputDir), jobs });
  try {
    const id = randomUUID();
    await backend.store.create(newJobRecord(id, deck({ slides: [{ title: 'a', duration: 1 }] }), config.maxAttempts));
    await backend.enqueue(id, {});
    await until(async () => (await backend.counts()).active === 1);
    const waiting = await backend.store.get(id);
    assert.equal(waiting?.status, 'queued', 'the worker holds it without starting it');
    assert.equal(waiting?.attempts, 0);
    const exposition = (await telemetry.reader.collect()).resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === 'render_storage_free_bytes');
    const volumes = exposition?.dataPoints.map((p) => p.attributes.volume).sort();
    assert.deepEqual(volumes, ['data', 'scratch']);
    assert.ok(exposition?.dataPoints.every((p) => Number(p.value) > 0));
    await jobs.lifecycle.cancel(id);
    await until(async () => (await backend.counts()).active === 0);
    assert.equal((await backend.store.get(id))?.status, 'cancelled');
  } finally {
    await worker.close();
    await jobs.close();
    await backend.close();
    cleanup();
  }
});

test('the retention sweep deletes expired jobs and their videos, and nothing else; 0 keeps everything', { timeout: 30_000 }, async () => {
  const { config, cleanup } = testConfig({ RENDER_RETENTION: '36h' });
  assert.equal(config.retentionMs, 36 * 3_600_000);
  const backend = await createEmbeddedBackend(config, quietLogger);
  try {
    mkdirSync(config.outputDir, { recursive: true });
    const now = Date.now();
    const make = async (id: string, finishedHoursAgo: number) => {
      const output = path.join(config.outputDir, `${id}.mp4`);
      writeFileSync(output, 'video');
      await backend.store.create({
        ...newJobRecord(id, deck({ slides: [{ title: 'a' }] }), 1, new Date(now - 48 * 3_600_000)),
        status: 'completed',
        outputPath: output,
        finishedAt: new Date(now - finishedHoursAgo * 3_600_000).toISOString(),
      });
      return output;
    };
    const expired = await make('expired', 40);
    const kept = await make('kept', 30);
    const storage = createLocalStorage(config.outputDir);
    assert.equal(await sweepExpiredJobs(backend, storage, 0, quietLogger), 0);
    assert.equal(await sweepExpiredJobs(backend, storage, config.retentionMs, quietLogger), 1);
    assert.equal(await backend.store.get('expired'), null);
    assert.ok(!existsSync(expired));
    assert.ok(existsSync(kept));
    assert.equal((await backend.store.get('kept'))?.status, 'completed');
  } finally {
    await backend.close();
    cleanup();
  }
});
