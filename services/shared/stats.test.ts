import { test } from 'vitest';
import assert from 'node:assert/strict';
import { newJobRecord, type JobRecord, type JobStatus } from './job';
import { parseRenderRequest } from './request';
import { computeSummary, durationStats, nearestRank, type SummaryInput } from './stats';
import type { ErrorCategory } from './errors/categories';

const request = (() => {
  const r = parseRenderRequest({ title: 't', slides: [{ duration: 1 }] });
  assert.ok(r.ok);
  return r.request;
})();

let seq = 0;
function job(status: JobStatus, extra: Partial<JobRecord> = {}): JobRecord {
  return { ...newJobRecord(`job-${++seq}`, request, 3, new Date('2026-01-01T00:00:00Z')), status, ...extra };
}
function failed(category: ErrorCategory, finishedAt: string, code = 'X'): JobRecord {
  return job('failed', { finishedAt, durationSeconds: 2, error: { code, category, message: `m-${finishedAt}`, retryable: false } });
}
function input(jobs: JobRecord[], extra: Partial<SummaryInput> = {}): SummaryInput {
  return {
    range: '24h',
    now: new Date('2026-01-01T12:00:00Z'),
    backend: 'embedded',
    jobs,
    queue: { waiting: 1, active: 2, delayed: 0, oldestWaitingAgeSeconds: 4 },
    queueError: null,
    workers: [],
    uptimeSeconds: 10,
    memory: { rss: 1, heapUsed: 2, heapTotal: 3, external: 4 },
    ...extra,
  };
}

test('nearestRank picks real samples: the smallest value covering q% of them', () => {
  const sorted = Array.from({ length: 10 }, (_, i) => i + 1);
  assert.equal(nearestRank(sorted, 50), 5);
  assert.equal(nearestRank(sorted, 90), 9);
  assert.equal(nearestRank(sorted, 95), 10);
  assert.equal(nearestRank(sorted, 0), 1);
  assert.equal(nearestRank([], 50), null);
});

test('durationStats over unsorted input; nulls without samples', () => {
  const s = durationStats([4, 1, 3, 2]);
  assert.deepEqual(s, { count: 4, avg: 2.5, p50: 2, p90: 4, p95: 4, p99: 4, min: 1, max: 4 });
  assert.deepEqual(durationStats([]), { count: 0, avg: null, p50: null, p90: null, p95: null, p99: null, min: null, max: null });
});

test('computeSummary separates completed and failed durations and computes the success rate', () => {
  const jobs = [
    job('completed', { durationSeconds: 10, queueWaitSeconds: 1, title: 'slow' }),
    job('completed', { durationSeconds: 2, queueWaitSeconds: 3, title: 'fast' }),
    job('completed', { durationSeconds: 6 }),
    failed('network', '2026-01-01T01:00:00Z'),
    job('queued'),
    job('cancelled'),
  ];
  const s = computeSummary(input(jobs));
  assert.equal(s.totals.total, 6);
  assert.equal(s.totals.completed, 3);
  assert.equal(s.totals.failed, 1);
  assert.equal(s.totals.queued, 1);
  assert.equal(s.totals.processing, 0);
  assert.equal(s.successRate, 0.75);
  assert.equal(s.duration.completed.count, 3);
  assert.equal(s.duration.completed.p50, 6);
  assert.equal(s.duration.completed.avg, 6);
  assert.equal(s.duration.failed.count, 1);
  assert.equal(s.duration.failed.max, 2);
  assert.deepEqual(s.fastest, { jobId: jobs[1].id, title: 'fast', seconds: 2 });
  assert.deepEqual(s.slowest, { jobId: jobs[0].id, title: 'slow', seconds: 10 });
  assert.equal(s.avgQueueWaitSeconds, 2);
  assert.equal(s.service.queueReachable, true);
});

test('computeSummary with no finished job reports nulls, not zeros', () => {
  const s = computeSummary(input([job('queued')]));
  assert.equal(s.successRate, null);
  assert.equal(s.fastest, null);
  assert.equal(s.avgQueueWaitSeconds, null);
  assert.deepEqual(s.errors, []);
});

test('errors are grouped by category, most frequent first, with the 3 most recent samples', () => {
  const jobs = [
    failed('network', '2026-01-01T01:00:00Z'),
    failed('network', '2026-01-01T04:00:00Z'),
    failed('network', '2026-01-01T02:00:00Z'),
    failed('network', '2026-01-01T03:00:00Z'),
    failed('ffmpeg', '2026-01-01T05:00:00Z', 'FFMPEG_FAILED'),
    job('retrying', { error: { code: 'ASSET_FETCH_FAILED', category: 'network', message: 'not final', retryable: true } }),
  ];
  const s = computeSummary(input(jobs));
  assert.deepEqual(
    s.errors.map((e) => [e.category, e.count]),
    [
      ['network', 4],
      ['ffmpeg', 1],
    ],
  );
  assert.deepEqual(
    s.errors[0].samples.map((x) => x.at),
    ['2026-01-01T04:00:00Z', '2026-01-01T03:00:00Z', '2026-01-01T02:00:00Z'],
  );
  assert.deepEqual(s.errors[1].samples, [
    { jobId: jobs[4].id, code: 'FFMPEG_FAILED', message: 'm-2026-01-01T05:00:00Z', at: '2026-01-01T05:00:00Z' },
  ]);
});

test('an unreachable queue is reported with its reason; workers get their age', () => {
  const s = computeSummary(
    input([], {
      queue: null,
      queueError: 'connect ECONNREFUSED',
      workers: [{ id: 'w1', hostname: 'h', pid: 1, concurrency: 1, active: 0, lastSeenAt: '2026-01-01T11:59:30Z' }],
    }),
  );
  assert.equal(s.queue, null);
  assert.equal(s.service.queueReachable, false);
  assert.equal(s.service.queueError, 'connect ECONNREFUSED');
  assert.equal(s.service.workers[0].lastSeenSecondsAgo, 30);
  assert.equal(s.generatedAt, '2026-01-01T12:00:00.000Z');
});
