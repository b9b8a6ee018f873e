/** Embedded backend specifics: resuming after a clean restart or a crash, delayed entries, 10,000 records. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { deferred, freshQueue, jobRecord, killHard, startCrashWorker, waitFor, aborted } from './test-support';

const T = { timeout: 60_000 };
/** The backend alone: a give-up report has no lifecycle to go to here. */
const opts = { concurrency: 1, heartbeatMs: 200, onGaveUp: async () => {} };

test(
  'a job interrupted by closing the backend resumes from the same file, still on attempt 1 (a shutdown costs no attempt)',
  T,
  async () => {
    const q = await freshQueue('embedded');
    try {
      const first = await q.open();
      await first.store.create(jobRecord('r1'));
      await first.enqueue('r1', { traceparent: 'kept' });
      const started = deferred();
      await first.startWorker(async (_job, signal) => {
        started.resolve();
        await aborted(signal);
        return { kind: 'completed' };
      }, opts);
      await started.promise;
      await first.close();

      const second = await q.open();
      assert.equal((await second.counts()).waiting, 1, 'recovered on open, before any worker starts');
      const resumed = deferred<{ attempt: number; carrier: Record<string, string> }>();
      await second.startWorker(async (job) => {
        resumed.resolve(job);
        return { kind: 'completed' };
      }, opts);
      const job = await resumed.promise;
      assert.equal(job.attempt, 1);
      assert.equal(job.carrier.traceparent, 'kept');
      assert.equal((await second.store.get('r1'))?.id, 'r1', 'the record survived the restart');
    } finally {
      await q.cleanup();
    }
  },
);

test('a job whose worker process was killed -9 resumes with attempt 2 when the service restarts', T, async () => {
  const q = await freshQueue('embedded');
  const crash = startCrashWorker({ CRASH_KIND: 'embedded', CRASH_QUEUE_NAME: q.queueName, CRASH_DATA_DIR: q.dataDir });
  try {
    const api = await q.open();
    await api.enqueue('k1', {});
    assert.deepEqual(await crash.started, { started: 'k1', attempt: 1 });
    assert.equal((await api.counts()).active, 1);
    await killHard(crash.child);
    await api.close();

    const restarted = await q.open();
    const resumed = deferred<number>();
    await restarted.startWorker(async (job) => {
      resumed.resolve(job.attempt);
      return { kind: 'completed' };
    }, opts);
    assert.equal(await resumed.promise, 2);
  } finally {
    await killHard(crash.child);
    await q.cleanup();
  }
});

test('a delayed enqueue counts as delayed until due, then runs', T, async () => {
  const q = await freshQueue('embedded');
  try {
    const b = await q.open();
    await b.enqueue('later', {}, 400);
    assert.deepEqual([(await b.counts()).delayed, (await b.counts()).waiting], [1, 0]);
    const ran = deferred<string>();
    await b.startWorker(async (job) => {
      ran.resolve(job.id);
      return { kind: 'completed' };
    }, opts);
    assert.equal(await ran.promise, 'later');
    await waitFor('entry done', async () => (await b.counts()).active === 0);
  } finally {
    await q.cleanup();
  }
});

test('10,000 records page completely and createdSince returns exactly the recent ones', T, async () => {
  const q = await freshQueue('embedded');
  try {
    const b = await q.open();
    const base = Date.parse('2025-03-01T00:00:00Z');
    for (let i = 0; i < 10_000; i++) await b.store.create(jobRecord(`bulk-${String(i).padStart(5, '0')}`, new Date(base + i * 1000)));
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await b.store.list({ limit: 500, cursor });
      for (const j of page.jobs) seen.add(j.id);
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    assert.equal(seen.size, 10_000);
    assert.equal(pages, 20);
    const recent = await b.store.createdSince(base + 9_000 * 1000);
    assert.equal(recent.length, 1000);
    assert.equal(recent[0].id, 'bulk-09999');
  } finally {
    await q.cleanup();
  }
});

test('a cancel written by another process reaches the worker that runs the job', T, async () => {
  const q = await freshQueue('embedded');
  try {
    // Two backends on one file stand for the API process and the worker process: separate connections, no shared memory.
    const [api, runner] = [await q.open(), await q.open()];
    await api.enqueue('x1', {});
    const started = deferred();
    const reason = deferred<unknown>();
    await runner.startWorker(async (_job, signal) => {
      started.resolve();
      reason.resolve(await aborted(signal));
      return { kind: 'cancelled' };
    }, opts);
    await started.promise;
    assert.equal(await api.cancel('x1'), 'signalled-running');
    assert.equal(await reason.promise, 'cancelled');
    await waitFor('the entry to be done', async () => (await api.counts()).active === 0);
  } finally {
    await q.cleanup();
  }
});
