/** BullMQ backend specifics against the real test Redis: several processes sharing one queue, crashes, outages. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import net from 'node:net';
import IORedis from 'ioredis';
import { statusChange } from '../shared/job';
import { createBullmqBackend } from './bullmq';
import { createdIndexMember, RedisKeys } from './bullmq/keys';
import type { GiveUpReport } from './contract';
import { startPrivateRedis } from '../../test/support/private-redis';
import {
  aborted,
  deferred,
  freshQueue,
  jobRecord,
  killHard,
  quietLogger,
  redisTestUrl,
  startCrashWorker,
  waitFor,
} from '../../test/support/queue';

const T = { timeout: 60_000 };
const tuning = { lockDurationMs: 2000, stalledIntervalMs: 1000 };
/** The backend alone: a give-up report has no lifecycle to go to here. */
const opts = { concurrency: 1, heartbeatMs: 200, onGaveUp: async () => {} };

test('two backends on one queue share records, share the work, and cancel across them', T, async () => {
  const q = await freshQueue('bullmq', tuning);
  try {
    const [a, b] = [await q.open(), await q.open()];
    await a.store.create(jobRecord('x1'));
    assert.equal((await b.store.get('x1'))?.id, 'x1', 'a record written by one replica is read by the other');

    const byWorker = new Map<string, string>();
    const bothBusy = deferred();
    const handler = (name: string) => async (job: { id: string }, signal: AbortSignal) => {
      byWorker.set(name, job.id);
      if (byWorker.size === 2) bothBusy.resolve();
      await aborted(signal);
      return { kind: 'cancelled' as const };
    };
    const wa = await a.startWorker(handler('a'), opts);
    const wb = await b.startWorker(handler('b'), opts);
    await a.enqueue('x1', {});
    await a.enqueue('x2', {});
    await bothBusy.promise;
    assert.deepEqual([...byWorker.values()].sort(), ['x1', 'x2'], 'each worker (concurrency 1) took one job');
    assert.equal((await a.counts()).active, 2);
    assert.equal((await a.workers()).length, 2);

    // Cancel from backend `a` for whichever job runs in `b`'s worker: delivered over pub/sub.
    assert.equal(await a.cancel(byWorker.get('b')!), 'signalled-running');
    await waitFor('the cancelled job to leave the queue', async () => (await a.counts()).active === 1);
    await wa.close();
    await wb.close();
  } finally {
    await q.cleanup();
  }
});

test('kill -9 of a worker mid-job: stalled recovery hands the job to another worker with attempt 2', T, async () => {
  const q = await freshQueue('bullmq', tuning);
  const crash = startCrashWorker({ CRASH_KIND: 'bullmq', CRASH_QUEUE_NAME: q.queueName, CRASH_REDIS_URL: redisTestUrl() });
  try {
    const api = await q.open();
    await api.store.create(jobRecord('k1'));
    await api.enqueue('k1', {});
    assert.deepEqual(await crash.started, { started: 'k1', attempt: 1 });
    await killHard(crash.child);

    const survivor = deferred<number>();
    await api.startWorker(async (job) => {
      survivor.resolve(job.attempt);
      await api.store.transition(job.id, statusChange('start'), { attempts: job.attempt });
      await api.store.transition(job.id, statusChange('complete'), {});
      return { kind: 'completed' };
    }, opts);
    assert.equal(await survivor.promise, 2);
    await waitFor('the job to complete', async () => (await api.store.get('k1'))?.status === 'completed');
    assert.equal((await api.store.get('k1'))?.attempts, 2);
  } finally {
    await killHard(crash.child);
    await q.cleanup();
  }
});

test('a job whose workers keep dying is reported as given up (stalled) once BullMQ gives up, and never run again', T, async () => {
  const q = await freshQueue('bullmq', { ...tuning, maxStalledCount: 0 });
  const crash = startCrashWorker({
    CRASH_KIND: 'bullmq',
    CRASH_QUEUE_NAME: q.queueName,
    CRASH_REDIS_URL: redisTestUrl(),
    CRASH_MAX_STALLED: '0',
  });
  try {
    const api = await q.open();
    await api.store.create(jobRecord('lost1'));
    await api.enqueue('lost1', {});
    assert.deepEqual(await crash.started, { started: 'lost1', attempt: 1 });
    await killHard(crash.child);

    let ran = false;
    const reports: GiveUpReport[] = [];
    await api.startWorker(
      async () => {
        ran = true;
        return { kind: 'completed' };
      },
      { ...opts, onGaveUp: async (report) => void reports.push(report) },
    );
    await waitFor('the give-up report', () => reports.length > 0);
    assert.deepEqual(reports[0], { id: 'lost1', generation: 0, reason: 'stalled', detail: 'job stalled more than allowable limit' });
    assert.equal((await api.store.get('lost1'))?.status, 'queued', 'the backend reports; it never writes the record itself');
    assert.equal(ran, false, 'BullMQ failed the job instead of handing it to the survivor');
  } finally {
    await killHard(crash.child);
    await q.cleanup();
  }
});

test('with Redis unreachable, ping rejects quickly with the reason and close does not hang', T, async () => {
  const port = await new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
  const backend = await createBullmqBackend({ queueName: 'unreachable', redisUrl: `redis://127.0.0.1:${port}` }, quietLogger, {
    pingTimeoutMs: 500,
  });
  try {
    await assert.rejects(backend.ping(), (err: Error) => err.message.length > 0);
    await assert.rejects(backend.store.get('anything'));
  } finally {
    await backend.close();
  }
});

test('records written by the previous key layout (deck inline, generation-less entry) are read, updated and run', T, async () => {
  const q = await freshQueue('bullmq', tuning);
  const redis = new IORedis(redisTestUrl(), { maxRetriesPerRequest: 1 });
  try {
    const keys = new RedisKeys(q.queueName);
    const old = jobRecord('old-1', new Date(Date.UTC(2029, 0, 1)));
    const { generation: _g, attemptId: _a, ...previousShape } = old;
    const member = createdIndexMember(Date.UTC(2029, 0, 1), 'old-1');
    await redis
      .multi()
      .set(keys.job('old-1'), JSON.stringify(previousShape))
      .zadd(keys.allJobs(), 0, member)
      .zadd(keys.byStatus('queued'), 0, member)
      .exec();
    const b = await q.open();
    const read = await b.store.get('old-1');
    assert.equal(read?.request.slides.length, 1, 'the inline deck is read');
    const page = await b.store.list({ limit: 5 });
    assert.deepEqual(
      page.jobs.map((j) => [j.id, j.request.title]),
      [['old-1', 'queue test']],
    );
    // Queued by the previous release: a generation-0 BullMQ job id, which the reconciler would also find.
    await b.enqueue('old-1', {});
    assert.equal(await b.hasEntry('old-1', read?.generation ?? 0), true);
    const ran = deferred<number>();
    const worker = await b.startWorker(async (job) => {
      ran.resolve(job.generation);
      await b.store.transition(job.id, statusChange('start'), {});
      await b.store.transition(job.id, statusChange('complete'), {});
      return { kind: 'completed' };
    }, opts);
    assert.equal(await ran.promise, 0);
    await worker.close();
    const done = await b.store.get('old-1');
    assert.equal(done?.status, 'completed');
    assert.equal(done?.request.slides.length, 1, 'the deck survives updates of an old record');
  } finally {
    redis.disconnect();
    await q.cleanup();
  }
});

test('a cancel whose pub/sub message was missed still reaches the running worker through the durable flag', T, async () => {
  const q = await freshQueue('bullmq', tuning);
  const redis = new IORedis(redisTestUrl(), { maxRetriesPerRequest: 1 });
  try {
    const b = await q.open();
    await b.store.create(jobRecord('durable-1'));
    await b.enqueue('durable-1', {});
    const started = deferred();
    const reason = deferred<unknown>();
    const worker = await b.startWorker(async (_job, signal) => {
      started.resolve();
      reason.resolve(await aborted(signal));
      return { kind: 'cancelled' };
    }, opts);
    await started.promise;
    // Only the flag, as `cancel()` writes it; no message on the channel (a subscriber that was reconnecting).
    await redis.set(new RedisKeys(q.queueName).cancelFlag('durable-1', 0), '1', 'EX', 60);
    assert.equal(await reason.promise, 'cancelled');
    await worker.close();
  } finally {
    redis.disconnect();
    await q.cleanup();
  }
});

test('a retry scheduled while Redis is briefly down is retried, not failed: the next attempt runs', T, async () => {
  const redis = await startPrivateRedis();
  const queueName = `blip-${Date.now()}`;
  const b = await createBullmqBackend({ queueName, redisUrl: redis.url }, quietLogger, tuning);
  try {
    await b.store.create(jobRecord('blip-1'));
    await b.enqueue('blip-1', {});
    const second = deferred<number>();
    let restarted: Promise<void> | undefined;
    const worker = await b.startWorker(async (job) => {
      if (job.attempt === 1) {
        // Redis goes away just as this attempt asks for a retry, and comes back a few seconds later.
        await redis.shutdown();
        restarted = new Promise((r) => setTimeout(r, 3000)).then(() => redis.start());
        return { kind: 'retry', delayMs: 100 };
      }
      second.resolve(job.attempt);
      return { kind: 'completed' };
    }, opts);
    assert.equal(await second.promise, 2);
    await restarted;
    await worker.close();
  } finally {
    await b.close();
    await redis.destroy();
  }
});

test(
  'a split attempt: its chunks run on the chunk queue (a failed one retried alone, none counted), then the same attempt resumes',
  T,
  async () => {
    const q = await freshQueue('bullmq', tuning);
    try {
      const backend = await q.open();
      assert.equal(backend.splits, true);
      await backend.store.create(jobRecord('s1'));
      const runs: { attempt: number; resumedAttempt?: string }[] = [];
      const chunkTries: { first: number; id: string; attemptId: string; generation: number }[] = [];
      const countsDuringChunks: Awaited<ReturnType<typeof backend.counts>>[] = [];
      const resumed = deferred();
      const seconds = [1, 2, 3];
      const worker = await backend.startWorker(
        async (job) => {
          runs.push(job.resumedAttempt ? { attempt: job.attempt, resumedAttempt: job.resumedAttempt } : { attempt: job.attempt });
          if (!job.resumedAttempt)
            return {
              kind: 'split',
              attemptId: 'attempt-token',
              chunks: [
                { first: 0, count: 2, seconds, carrier: {} },
                { first: 2, count: 1, seconds, carrier: {} },
              ],
            };
          resumed.resolve();
          return { kind: 'completed' };
        },
        {
          ...opts,
          chunks: async (chunk) => {
            chunkTries.push({ first: chunk.first, id: chunk.id, attemptId: chunk.attemptId, generation: chunk.generation });
            assert.deepEqual(chunk.seconds, seconds);
            countsDuringChunks.push(await backend.counts());
            if (chunk.first === 0 && chunkTries.filter((t) => t.first === 0).length === 1) throw new Error('first try of chunk 0 fails');
          },
        },
      );
      await backend.enqueue('s1', {});
      await resumed.promise;
      assert.deepEqual(runs, [{ attempt: 1 }, { attempt: 1, resumedAttempt: 'attempt-token' }], 'one attempt, resumed once');
      assert.deepEqual(
        chunkTries.map((t) => t.first).sort((a, b) => a - b),
        [0, 0, 2],
      );
      assert.equal(chunkTries.filter((t) => t.first === 0).length, 2, 'the failed chunk ran again');
      assert.equal(chunkTries.filter((t) => t.first === 2).length, 1, 'the other chunk ran once');
      for (const t of chunkTries)
        assert.deepEqual(
          { id: t.id, attemptId: t.attemptId, generation: t.generation },
          { id: 's1', attemptId: 'attempt-token', generation: 0 },
        );
      for (const c of countsDuringChunks) {
        assert.equal(c.waiting + c.delayed, 0, 'chunks never count as waiting');
        assert.equal(c.active, 1, 'the job waiting for its chunks counts as running, once');
      }
      await waitFor('the job to leave the queue', async () => !(await backend.hasEntry('s1', 0)));
      await worker.close();
    } finally {
      await q.cleanup();
    }
  },
);
