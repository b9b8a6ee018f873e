/** The embedded worker's loop: no slot idles while entries wait, and load cannot starve the maintenance tick. */
import { test, vi } from 'vitest';
import assert from 'node:assert/strict';
import { aborted, deferred, freshQueue, waitFor } from '../test-support';

const T = { timeout: 30_000 };

test('waiting entries are picked up without waiting for a timer tick', T, async () => {
  const q = await freshQueue('embedded');
  try {
    const b = await q.open();
    for (const id of ['a', 'b', 'c']) await b.enqueue(id, {});
    const started: string[] = [];
    // Frozen timers: only the enqueue wake-up and finished attempts can move the worker on.
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    await b.startWorker(
      async (job) => {
        started.push(job.id);
        return { kind: 'completed' };
      },
      { concurrency: 1, heartbeatMs: 10_000, onGaveUp: async () => {} },
    );
    for (let turn = 0; turn < 1000 && (await b.counts()).waiting + (await b.counts()).active > 0; turn++)
      await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, ['a', 'b', 'c']);
  } finally {
    vi.useRealTimers();
    await q.cleanup();
  }
});

test('a cancel from another process reaches a worker that keeps finishing other jobs', T, async () => {
  const q = await freshQueue('embedded');
  try {
    const [api, runner] = [await q.open(), await q.open()];
    await api.enqueue('long', {});
    const started = deferred();
    const reason = deferred<unknown>();
    let stop = false;
    let short = 0;
    await runner.startWorker(
      async (job, signal) => {
        if (job.id === 'long') {
          started.resolve();
          reason.resolve(await aborted(signal));
          return { kind: 'cancelled' };
        }
        // A steady stream of completions every ~50 ms, well inside the 1 s maintenance interval.
        await new Promise((r) => setTimeout(r, 50));
        if (!stop) await runner.enqueue(`short-${++short}`, {});
        return { kind: 'completed' };
      },
      { concurrency: 2, heartbeatMs: 10_000, onGaveUp: async () => {} },
    );
    await started.promise;
    await runner.enqueue('short-0', {});
    await waitFor('the stream of short jobs', () => short >= 3);
    assert.equal(await api.cancel('long'), 'signalled-running');
    let timer: NodeJS.Timeout | undefined;
    const why = await Promise.race([reason.promise, new Promise((r) => (timer = setTimeout(() => r('never delivered'), 5000)))]);
    clearTimeout(timer);
    stop = true;
    assert.equal(why, 'cancelled');
  } finally {
    await q.cleanup();
  }
});
