/**
 * Fencing: two attempts of one job running at once (what a lost BullMQ lock or a stalled-job check
 * racing a slow worker produces). Only the attempt that owns the record at the end publishes; the
 * other never completes the job, never deletes the winner's file, and removes its own.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { startJobs } from '../jobs';
import { createEmbeddedBackend } from '../queue/embedded';
import { newJobRecord } from '../shared/job';
import { createLocalStorage } from '../storage/local';
import { createJobHandler } from './runner';
import { deck, quietLogger, testConfig } from './test-support';

test('two concurrent attempts of one job: exactly one completes it and only its file remains', { timeout: 120_000 }, async () => {
  const { config, cleanup } = testConfig();
  const backend = await createEmbeddedBackend(config, quietLogger);
  const jobs = startJobs({ backend, config, logger: quietLogger });
  try {
    const id = randomUUID();
    const request = deck({ slides: [{ title: 'fenced', content: 'two attempts', duration: 4, transition: 'none' }] });
    await backend.store.create(newJobRecord(id, request, 3));
    const handler = createJobHandler({
      backend,
      config,
      logger: quietLogger,
      storage: createLocalStorage(config.outputDir),
      lifecycle: jobs.lifecycle,
    });
    const job = { id, carrier: {}, enqueuedAt: Date.now(), generation: 0 };
    const first = handler({ ...job, attempt: 1 }, new AbortController().signal);
    // The second starts once the first owns the record, as a second worker would after a lost lock.
    for (let i = 0; i < 600 && !(await backend.store.get(id))?.attemptId; i++) await new Promise((r) => setTimeout(r, 20));
    const owner1 = (await backend.store.get(id))?.attemptId;
    assert.ok(owner1, 'the first attempt took the record');
    const second = handler({ ...job, attempt: 2 }, new AbortController().signal);
    const outcomes = [(await first).kind, (await second).kind];
    assert.deepEqual(outcomes, ['cancelled', 'completed'], 'the superseded attempt loses, the owner wins');
    const record = await backend.store.get(id);
    assert.equal(record?.status, 'completed');
    assert.equal(record?.attempts, 2);
    assert.notEqual(record?.attemptId, owner1);
    assert.ok(record?.outputKey && existsSync(path.join(config.outputDir, record.outputKey)), 'the winner’s object is there');
    assert.deepEqual(
      readdirSync(config.outputDir).filter((n) => n.endsWith('.mp4')),
      [record.outputKey],
      'the loser removed its own object and nothing else',
    );
  } finally {
    await jobs.close();
    await backend.close();
    cleanup();
  }
});
