/** The queue contract, run against both real backends (SQLite file; Redis at REDIS_TEST_URL). */
import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import type { QueuedJob, QueueBackend } from './contract';
import { BadRequestError } from '../shared/errors';
import { aborted, deferred, freshQueue, jobRecord, quietLogger, waitFor, type BackendKind } from '../../test/support/queue';
import { factsOfJobs } from '../shared/stats';
import { reconcileOnce } from './reconciler';
import { statusChange, type JobStatus, type TransitionName } from '../shared/job';

const T = { timeout: 30_000 };
const heartbeatMs = 200;
/** These tests drive the backends alone: a give-up report has no lifecycle to go to. */
const onGaveUp = async () => {};

/** Runs the store's status changes `names` on `id` in order (test set-up through the status machine). */
async function moveThrough(b: QueueBackend, id: string, ...names: TransitionName[]): Promise<void> {
  for (const name of names) assert.ok(await b.store.transition(id, statusChange(name), {}), `${id}: ${name}`);
}

async function withQueue(
  kind: BackendKind,
  fn: (backend: QueueBackend, reopen: () => Promise<QueueBackend>) => Promise<void>,
): Promise<void> {
  const q = await freshQueue(kind, { lockDurationMs: 2000, stalledIntervalMs: 1000 });
  try {
    await fn(await q.open(), q.open);
  } finally {
    await q.cleanup();
  }
}

for (const kind of ['embedded', 'bullmq'] as const) {
  describe(`queue contract: ${kind}`, () => {
    test('stores, reads and patches job records; a transition applies only from its statuses', T, async () => {
      await withQueue(kind, async (b) => {
        await b.store.create(jobRecord('a1'));
        assert.equal((await b.store.get('a1'))?.status, 'queued');
        assert.equal(await b.store.get('missing'), null);
        await assert.rejects(b.store.create(jobRecord('a1')));

        const processing = await b.store.transition('a1', statusChange('start'), { attempts: 1, stage: undefined });
        assert.equal(processing?.status, 'processing');
        assert.equal(processing?.stage, null, 'undefined in a patch leaves the field alone');
        assert.equal(await b.store.transition('a1', statusChange('abandon'), { progress: 0.5 }), null, 'abandon applies only to queued');
        assert.equal((await b.store.get('a1'))?.progress, 0, 'a refused transition writes nothing');
        assert.equal(await b.store.update('a1', { progress: 0.25 }, ['queued']), null, 'onlyIf guards a plain update too');
        assert.equal((await b.store.update('a1', { progress: 0.25 }, ['processing']))?.progress, 0.25);

        const cancelled = await b.store.transition('a1', statusChange('cancel'), { finishedAt: new Date().toISOString() });
        assert.equal(cancelled?.status, 'cancelled');
        assert.equal(await b.store.transition('a1', statusChange('complete'), {}), null, 'a late worker cannot overwrite a cancellation');
        assert.equal(await b.store.transition('missing', statusChange('fail'), {}), null);
        assert.deepEqual(
          (await b.store.list({ status: 'cancelled', limit: 10 })).jobs.map((j) => j.id),
          ['a1'],
        );
        assert.deepEqual((await b.store.list({ status: 'processing', limit: 10 })).jobs, [], 'the status index follows updates');
      });
    });

    test('lists newest first with an opaque cursor and a status filter; createdSince bounds by time', T, async () => {
      await withQueue(kind, async (b) => {
        const base = Date.parse('2025-01-01T00:00:00Z');
        for (let i = 0; i < 7; i++) await b.store.create(jobRecord(`j${i}`, new Date(base + Math.floor(i / 2) * 1000)));
        await moveThrough(b, 'j2', 'abandon');
        await moveThrough(b, 'j5', 'abandon');

        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await b.store.list({ limit: 3, cursor });
          assert.ok(page.jobs.length <= 3);
          seen.push(...page.jobs.map((j) => j.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        assert.deepEqual(seen, ['j6', 'j5', 'j4', 'j3', 'j2', 'j1', 'j0'], 'by created_at desc, then id desc for equal times');

        const failed = await b.store.list({ status: 'failed', limit: 1 });
        assert.deepEqual(
          failed.jobs.map((j) => j.id),
          ['j5'],
        );
        const rest = await b.store.list({ status: 'failed', limit: 1, cursor: failed.nextCursor! });
        assert.deepEqual(
          rest.jobs.map((j) => j.id),
          ['j2'],
        );
        assert.equal(rest.nextCursor, null);

        await assert.rejects(
          b.store.list({ limit: 3, cursor: 'not-a-cursor' }),
          (err: unknown) => err instanceof BadRequestError && err.httpStatus === 400,
        );
        const since = await b.store.createdSince(base + 2000);
        assert.deepEqual(since.map((j) => j.id).sort(), ['j4', 'j5', 'j6']);
      });
    });

    test('a worker runs an enqueued job once with attempt 1, the carrier and enqueue time', T, async () => {
      await withQueue(kind, async (b) => {
        await b.store.create(jobRecord('run1'));
        const before = Date.now();
        await b.enqueue('run1', { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
        const got = deferred<QueuedJob>();
        const worker = await b.startWorker(
          async (job) => {
            got.resolve(job);
            await moveThrough(b, job.id, 'start', 'complete');
            return { kind: 'completed' };
          },
          { concurrency: 1, heartbeatMs, onGaveUp },
        );
        const job = await got.promise;
        assert.equal(job.id, 'run1');
        assert.equal(job.attempt, 1);
        assert.equal(job.carrier.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
        assert.ok(job.enqueuedAt >= before && job.enqueuedAt <= Date.now());
        await waitFor('queue to drain', async () => {
          const c = await b.counts();
          return c.waiting + c.active + c.delayed === 0;
        });
        assert.equal((await b.store.get('run1'))?.status, 'completed');
        await worker.close();
      });
    });

    test('a retry outcome parks the job as delayed, then runs it again with attempt 2', T, async () => {
      await withQueue(kind, async (b) => {
        await b.store.create(jobRecord('retry1'));
        await b.enqueue('retry1', {});
        const attempts: number[] = [];
        const second = deferred();
        const release = deferred();
        const worker = await b.startWorker(
          async (job) => {
            attempts.push(job.attempt);
            if (job.attempt === 1) return { kind: 'retry', delayMs: 600 };
            second.resolve();
            await release.promise;
            return { kind: 'completed' };
          },
          { concurrency: 1, heartbeatMs, onGaveUp },
        );
        await waitFor('the retry to be delayed', async () => (await b.counts()).delayed === 1);
        await second.promise;
        const running = await b.counts();
        assert.deepEqual([running.active, running.delayed, running.waiting], [1, 0, 0]);
        release.resolve();
        await waitFor('queue to drain', async () => (await b.counts()).active === 0);
        assert.deepEqual(attempts, [1, 2]);
        await worker.close();
      });
    });

    test('cancel removes a waiting or delayed job and reports not-found afterwards', T, async () => {
      await withQueue(kind, async (b) => {
        await b.enqueue('w1', {});
        await b.enqueue('d1', {}, 60_000);
        const c = await b.counts();
        assert.deepEqual([c.waiting, c.delayed, c.active], [1, 1, 0]);
        assert.ok(c.oldestWaitingAgeSeconds >= 0);
        assert.equal(await b.cancel('w1'), 'removed-from-queue');
        assert.equal(await b.cancel('d1'), 'removed-from-queue');
        assert.equal(await b.cancel('w1'), 'not-found');
        assert.equal(await b.cancel('never'), 'not-found');
        const after = await b.counts();
        assert.deepEqual([after.waiting, after.delayed, after.active, after.oldestWaitingAgeSeconds], [0, 0, 0, 0]);
      });
    });

    test('cancel of a running job aborts its handler with reason "cancelled"', T, async () => {
      await withQueue(kind, async (b) => {
        await b.enqueue('c1', {});
        const started = deferred();
        const reason = deferred<unknown>();
        const worker = await b.startWorker(
          async (_job, signal) => {
            started.resolve();
            reason.resolve(await aborted(signal));
            return { kind: 'cancelled' };
          },
          { concurrency: 1, heartbeatMs, onGaveUp },
        );
        await started.promise;
        assert.equal(await b.cancel('c1'), 'signalled-running');
        assert.equal(await reason.promise, 'cancelled');
        await waitFor('the entry to be done', async () => (await b.counts()).active === 0);
        await worker.close();
      });
    });

    test('closing a worker aborts with "shutdown" and hands the job back without consuming an attempt', T, async () => {
      await withQueue(kind, async (b) => {
        await b.enqueue('s1', {});
        const started = deferred();
        const reasons: unknown[] = [];
        const first = await b.startWorker(
          async (_job, signal) => {
            started.resolve();
            reasons.push(await aborted(signal));
            return { kind: 'completed' }; // ignored after a shutdown abort
          },
          { concurrency: 1, heartbeatMs, onGaveUp },
        );
        await started.promise;
        await first.close();
        assert.deepEqual(reasons, ['shutdown']);
        const resumed = deferred<number>();
        const second = await b.startWorker(
          async (job) => {
            resumed.resolve(job.attempt);
            return { kind: 'completed' };
          },
          { concurrency: 1, heartbeatMs, onGaveUp },
        );
        assert.equal(await resumed.promise, 1);
        await second.close();
      });
    });

    test('runs up to `concurrency` jobs at once and reports the worker with its heartbeat', T, async () => {
      await withQueue(kind, async (b) => {
        await b.enqueue('p1', {});
        await b.enqueue('p2', {});
        const running = new Set<string>();
        const both = deferred();
        const worker = await b.startWorker(
          async (job, signal) => {
            running.add(job.id);
            if (running.size === 2) both.resolve();
            await Promise.race([both.promise, aborted(signal)]);
            return { kind: 'completed' };
          },
          { concurrency: 2, heartbeatMs, onGaveUp },
        );
        await both.promise;
        assert.ok(worker.lastHeartbeatAt() !== null);
        const listed = (await b.workers()).find((w) => w.id === worker.id);
        assert.equal(listed?.concurrency, 2);
        assert.equal(listed?.pid, process.pid);
        await b.ping();
        await worker.close();
        assert.equal(
          (await b.workers()).some((w) => w.id === worker.id),
          false,
          'a closed worker is not listed',
        );
      });
    });
    test('close with a drain lets a running attempt finish instead of aborting it', T, async () => {
      await withQueue(kind, async (b) => {
        await b.enqueue('d1', {});
        const started = deferred();
        const release = deferred();
        const outcomes: string[] = [];
        const worker = await b.startWorker(
          async (_job, signal) => {
            started.resolve();
            await Promise.race([release.promise, aborted(signal)]);
            outcomes.push(signal.aborted ? `aborted:${String(signal.reason)}` : 'finished');
            return { kind: 'completed' };
          },
          { concurrency: 1, heartbeatMs, onGaveUp },
        );
        await started.promise;
        const closing = worker.close({ drainMs: 20_000 });
        // Enqueued while draining: must not be claimed by the closing worker.
        await b.enqueue('d2', {});
        setTimeout(() => release.resolve(), 300);
        await closing;
        assert.deepEqual(outcomes, ['finished']);
        assert.equal(await b.hasEntry('d1', 0), false, 'the finished entry is gone');
        assert.equal(await b.hasEntry('d2', 0), true, 'the one enqueued during the drain still waits');
      });
    });

    test('a newer generation enqueued while an older attempt runs is run once that attempt settles', T, async () => {
      await withQueue(kind, async (b) => {
        await b.enqueue('g1', {}, 0, 0);
        const firstStarted = deferred();
        const runs: { generation: number; attempt: number }[] = [];
        const second = deferred();
        const worker = await b.startWorker(
          async (job, signal) => {
            runs.push({ generation: job.generation, attempt: job.attempt });
            if (job.generation === 0) {
              firstStarted.resolve();
              await aborted(signal);
              return { kind: 'cancelled' };
            }
            second.resolve();
            return { kind: 'completed' };
          },
          { concurrency: 2, heartbeatMs, onGaveUp },
        );
        await firstStarted.promise;
        assert.equal(await b.cancel('g1'), 'signalled-running');
        await b.enqueue('g1', {}, 0, 1);
        await second.promise;
        assert.deepEqual(runs, [
          { generation: 0, attempt: 1 },
          { generation: 1, attempt: 1 },
        ]);
        await waitFor('no entry left', async () => !(await b.hasEntry('g1', 0)));
        await worker.close();
      });
    });

    test('update with an owner writes only while that attempt owns the record (fencing)', T, async () => {
      await withQueue(kind, async (b) => {
        await b.store.create(jobRecord('f1'));
        await b.store.transition('f1', statusChange('start'), { attemptId: 'first' });
        await b.store.transition('f1', statusChange('start'), { attemptId: 'second' });
        assert.equal(await b.store.transition('f1', statusChange('complete'), {}, 'first'), null, 'the superseded attempt loses');
        assert.equal(await b.store.patchState('f1', { progress: 0.5 }, ['processing'], 'first'), false);
        assert.equal(await b.store.patchState('f1', { progress: 0.6 }, ['processing'], 'second'), true);
        assert.equal((await b.store.get('f1'))?.progress, 0.6);
        const won = await b.store.transition('f1', statusChange('complete'), {}, 'second');
        assert.equal(won?.status, 'completed');
        assert.equal(won?.request.slides.length, 1, 'the deck comes back with the record');
        assert.deepEqual(await b.store.idsInStatus(['completed'], 10), ['f1']);
      });
    });

    test('the webhook outbox keeps entries until removed and leases them to one taker at a time', T, async () => {
      await withQueue(kind, async (b) => {
        await b.outbox.add({ eventId: 'e1', jobId: 'j1', event: 'render.completed', payload: '{"x":1}' });
        await b.outbox.add({ eventId: 'e2', jobId: 'j1', event: 'render.started', payload: '{"x":2}' });
        // Read after the adds: an entry is due from the moment it was added, however slow the machine.
        const now = Date.now();
        assert.equal(await b.outbox.size(), 2);
        const one = await b.outbox.takeOne('e1', now + 10, 60_000);
        assert.deepEqual(one, { eventId: 'e1', jobId: 'j1', event: 'render.completed', payload: '{"x":1}', attempts: 0 });
        assert.equal(await b.outbox.takeOne('e1', now + 10, 60_000), null, 'leased: nobody else takes it');
        assert.deepEqual(
          (await b.outbox.take(now + 10, 60_000, 10)).map((e) => e.eventId),
          ['e2'],
        );
        await b.outbox.reschedule('e1', 1, now + 20);
        const again = await b.outbox.take(now + 30, 60_000, 10);
        assert.deepEqual(
          again.map((e) => [e.eventId, e.attempts]),
          [['e1', 1]],
        );
        await b.outbox.remove('e1');
        await b.outbox.remove('e2');
        assert.equal(await b.outbox.size(), 0);
      });
    });

    test('summaryFacts aggregates exactly what the jobs of the range add up to', T, async () => {
      await withQueue(kind, async (b) => {
        const base = Date.UTC(2030, 0, 1);
        const statuses: JobStatus[] = ['completed', 'failed', 'queued', 'processing', 'cancelled', 'retrying'];
        const categories = ['network', 'ffmpeg', 'storage'] as const;
        for (let i = 0; i < 60; i++) {
          const status = statuses[i % statuses.length]!;
          const rec = jobRecord(`s${String(i).padStart(2, '0')}`, new Date(base + i * 1000));
          const finished = status === 'completed' || status === 'failed';
          await b.store.create({
            ...rec,
            title: `job ${i}`,
            status,
            durationSeconds: finished ? ((i * 37) % 23) + 0.5 : null,
            queueWaitSeconds: i % 4 === 0 ? null : (i % 7) / 2,
            finishedAt: finished ? new Date(base + i * 1000 + 500 + (i % 3) * 10_000).toISOString() : null,
            error:
              status === 'failed' ? { code: `E${i % 5}`, category: categories[i % 3]!, message: `failure ${i}`, retryable: false } : null,
          });
        }
        for (const since of [base, base + 20_500, base + 59_000, base + 120_000]) {
          assert.deepEqual(await b.store.summaryFacts(since), factsOfJobs(await b.store.createdSince(since)), `since +${since - base} ms`);
        }
      });
    });

    test('the reconciler re-enqueues a queued record that has no queue entry, once', T, async () => {
      await withQueue(kind, async (b) => {
        // A create whose enqueue never happened (the process died between the two writes).
        await b.store.create(jobRecord('lost-1'));
        await b.store.create(jobRecord('fine-1'));
        await b.enqueue('fine-1', {});
        assert.equal(await b.hasEntry('lost-1', 0), false);
        assert.equal(await reconcileOnce(b, quietLogger), 1);
        assert.equal(await b.hasEntry('lost-1', 0), true);
        assert.equal(await reconcileOnce(b, quietLogger), 0, 'nothing left to fix');
        const ran: string[] = [];
        const worker = await b.startWorker(
          async (job) => {
            ran.push(job.id);
            await moveThrough(b, job.id, 'start', 'complete');
            return { kind: 'completed' };
          },
          { concurrency: 1, heartbeatMs, onGaveUp },
        );
        await waitFor('both ran', () => ran.length === 2);
        assert.deepEqual([...ran].sort(), ['fine-1', 'lost-1']);
        await worker.close();
      });
    });
  });
}
