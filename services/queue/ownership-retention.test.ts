/** The store's ownership, idempotency and retention methods, against both real backends (SQLite file; Redis at REDIS_TEST_URL). */
import { describe, test } from 'vitest';
import { statusChange } from '../shared/job';
import assert from 'node:assert/strict';
import type { QueueBackend } from './contract';
import { freshQueue, jobRecord, type BackendKind } from './test-support';

const T = { timeout: 30_000 };

async function withQueue(kind: BackendKind, fn: (backend: QueueBackend) => Promise<void>): Promise<void> {
  const q = await freshQueue(kind);
  try {
    await fn(await q.open());
  } finally {
    await q.cleanup();
  }
}

for (const kind of ['embedded', 'bullmq'] as const) {
  describe(`store ownership and retention: ${kind}`, () => {
    test('lists by client (records without one are anonymous) and counts active jobs per client', T, async () => {
      await withQueue(kind, async (b) => {
        const base = Date.parse('2025-01-01T00:00:00Z');
        for (let i = 0; i < 6; i++) {
          const client = i % 2 === 0 ? 'alice' : 'bob';
          await b.store.create({ ...jobRecord(`c${i}`, new Date(base + i * 1000)), client });
        }
        await b.store.create(jobRecord('legacy', new Date(base + 10_000)));
        await b.store.transition('c0', statusChange('start'), {});
        await b.store.transition('c0', statusChange('complete'), { finishedAt: new Date(base + 500).toISOString() });
        await b.store.transition('c2', statusChange('start'), {});
        const ids = async (client: string, status?: 'queued') => {
          const out: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await b.store.list({ client, status, limit: 1, cursor });
            out.push(...page.jobs.map((j) => j.id));
            cursor = page.nextCursor ?? undefined;
          } while (cursor);
          return out;
        };
        assert.deepEqual(await ids('alice'), ['c4', 'c2', 'c0'], 'newest first, paged one by one');
        assert.deepEqual(await ids('alice', 'queued'), ['c4']);
        assert.deepEqual(await ids('bob'), ['c5', 'c3', 'c1']);
        if (kind === 'embedded') assert.deepEqual(await ids('anonymous'), ['legacy'], 'a record without a client is anonymous');
        assert.equal(await b.store.countActive('alice'), 2, 'queued c4 and processing c2; completed c0 does not count');
        assert.equal(await b.store.countActive('bob'), 3);
        assert.equal(await b.store.countActive('carol'), 0);
        assert.equal((await b.store.list({ limit: 100 })).jobs.length, 7, 'no client: every job');
      });
    });

    test('an idempotency key names its first job, per client, until released', T, async () => {
      await withQueue(kind, async (b) => {
        assert.equal(await b.store.claimIdempotencyKey('alice', 'k1', 'job-1', 60_000), null);
        assert.equal(await b.store.claimIdempotencyKey('alice', 'k1', 'job-2', 60_000), 'job-1');
        assert.equal(await b.store.claimIdempotencyKey('bob', 'k1', 'job-3', 60_000), null, 'keys are per client');
        await b.store.releaseIdempotencyKey('alice', 'k1', 'job-2');
        assert.equal(await b.store.claimIdempotencyKey('alice', 'k1', 'job-4', 60_000), 'job-1', 'only the named job releases it');
        await b.store.releaseIdempotencyKey('alice', 'k1', 'job-1');
        assert.equal(await b.store.claimIdempotencyKey('alice', 'k1', 'job-5', 60_000), null);
        assert.equal(await b.store.claimIdempotencyKey('alice', 'short', 'job-6', 1), null);
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(await b.store.claimIdempotencyKey('alice', 'short', 'job-7', 60_000), null, 'an expired key is free again');
      });
    });

    test('deleteFinishedBefore removes only jobs finished before the cutoff, from every index', T, async () => {
      await withQueue(kind, async (b) => {
        const day = 86_400_000;
        const now = Date.parse('2025-03-10T00:00:00Z');
        const at = (ms: number) => new Date(ms).toISOString();
        await b.store.create({
          ...jobRecord('old-done', new Date(now - 10 * day)),
          client: 'alice',
          status: 'completed',
          finishedAt: at(now - 9 * day),
        });
        await b.store.create({
          ...jobRecord('old-failed', new Date(now - 10 * day)),
          client: 'alice',
          status: 'failed',
          finishedAt: at(now - 8 * day),
        });
        await b.store.create({
          ...jobRecord('old-but-recent-finish', new Date(now - 10 * day)),
          client: 'alice',
          status: 'cancelled',
          finishedAt: at(now - 1 * day),
        });
        await b.store.create({ ...jobRecord('old-queued', new Date(now - 10 * day)), client: 'alice' });
        await b.store.create({
          ...jobRecord('new-done', new Date(now - 2 * day)),
          client: 'alice',
          status: 'completed',
          finishedAt: at(now - 2 * day),
        });
        const deleted = await b.store.deleteFinishedBefore(now - 7 * day, 100);
        assert.deepEqual(deleted.map((j) => j.id).sort(), ['old-done', 'old-failed']);
        assert.equal(await b.store.get('old-done'), null);
        const left = (await b.store.list({ client: 'alice', limit: 100 })).jobs.map((j) => j.id).sort();
        assert.deepEqual(left, ['new-done', 'old-but-recent-finish', 'old-queued']);
        assert.deepEqual(
          (await b.store.list({ status: 'completed', limit: 100 })).jobs.map((j) => j.id),
          ['new-done'],
        );
        assert.deepEqual(await b.store.deleteFinishedBefore(now - 7 * day, 100), [], 'a second sweep finds nothing');
      });
    });
  });
}
