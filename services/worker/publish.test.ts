import { test } from 'vitest';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startJobs } from '../jobs';
import { createEmbeddedBackend } from '../queue/embedded';
import { newJobRecord } from '../shared/job';
import { createLocalStorage } from '../storage/local';
import { publishOutput } from './publish';
import { deck, quietLogger, testConfig } from './test-support';

const output = { url: '/x', bytes: 1, durationSeconds: 1, width: 16, height: 16 };

test('only the attempt that wins the final update publishes; a losing attempt deletes only its own object', async () => {
  const { config, dir, cleanup } = testConfig();
  const backend = await createEmbeddedBackend(config, quietLogger);
  const storage = createLocalStorage(config.outputDir);
  const jobs = startJobs({ backend, config, logger: quietLogger });
  const deps = { lifecycle: jobs.lifecycle, storage, logger: quietLogger };
  const put = async (key: string) => {
    const file = path.join(dir, `${key}.src`);
    writeFileSync(file, key);
    await storage.put(key, file, { contentType: 'video/mp4' });
  };
  try {
    const id = randomUUID();
    await backend.store.create({ ...newJobRecord(id, deck({ slides: [{ title: 'a' }] }), 3), status: 'processing' });
    // Two attempts of one job both finished rendering (a stalled worker came back): each uploaded its own object.
    const first = storage.keyFor(id, 1);
    const second = storage.keyFor(id, 2);
    await put(first);
    await put(second);
    // Attempt 2 started last, so it owns the record (its fence token); attempt 1 has an older token.
    const owner2 = { jobId: id, attempt: 2, attemptId: 'attempt-2' };
    await backend.store.update(id, { attemptId: owner2.attemptId });
    const won = await publishOutput(deps, owner2, { outputKey: second, output, durationSeconds: 1 });
    assert.equal(won?.status, 'completed');
    assert.equal(won?.outputKey, second);
    const lost = await publishOutput(
      deps,
      { jobId: id, attempt: 1, attemptId: 'attempt-1' },
      { outputKey: first, output, durationSeconds: 1 },
    );
    assert.equal(lost, null);
    assert.deepEqual(readdirSync(config.outputDir), [second], "the loser's object is gone, the winner's untouched");
    assert.equal((await backend.store.get(id))?.outputKey, second);

    // A job cancelled while its attempt was uploading: the attempt loses and leaves nothing behind.
    const cancelled = randomUUID();
    await backend.store.create({ ...newJobRecord(cancelled, deck({ slides: [{ title: 'b' }] }), 3), status: 'cancelled' });
    const late = storage.keyFor(cancelled, 1);
    await put(late);
    const owner = { jobId: cancelled, attempt: 1, attemptId: 'attempt-1' };
    assert.equal(await publishOutput(deps, owner, { outputKey: late, output, durationSeconds: 1 }), null);
    assert.equal(await storage.stat(late), null);
    assert.equal((await backend.store.get(cancelled))?.outputKey ?? null, null);
  } finally {
    await jobs.close();
    await backend.close();
    cleanup();
  }
});
