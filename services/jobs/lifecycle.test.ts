/**
 * Every transition of the status machine driven through the lifecycle service on both real queue
 * backends (SQLite; Redis at REDIS_TEST_URL), with the same side effects checked for each: the
 * record's status, `render_jobs_total{status}`, the span attribute, one log line, and — for the
 * transitions that have one — the webhook event delivered through the outbox, signed and carrying
 * the outbox's event id. A refused change has no side effect at all.
 */
import { afterAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import pino from 'pino';
import { installTestTelemetry } from '../../instrumentation/testing';
import type { QueueBackend } from '../queue/contract';
import { freshQueue, jobRecord, type BackendKind } from '../queue/test-support';
import { AssetFetchError, AssetRejectedError } from '../shared/errors';
import { TRANSITION_NAMES, TRANSITIONS, type JobRecord, type JobStatus, type TransitionName } from '../shared/job';
import { serveHttp } from '../worker/test-support';
import { startJobs, type AttemptOwner } from '.';
import { verifySignature } from './webhook-signature';

const telemetry = installTestTelemetry();
afterAll(() => telemetry.shutdown());
const tracer = trace.getTracer('lifecycle-test');
const SECRET = 'lifecycle-secret';

/** What the receiver saw of one delivery. */
interface Delivery {
  event: string;
  eventId: string;
  signed: boolean;
  jobId: string;
  status: string;
}

async function jobsTotal(status: JobStatus): Promise<number> {
  const text = (await telemetry.reader.collector().prometheus()) as string;
  const m = new RegExp(`^render_jobs_total\\{status="${status}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

const output = { url: '/api/jobs/x/output', bytes: 10, durationSeconds: 1, width: 16, height: 16 };

/** The lifecycle over one backend, a signed-webhook receiver and a log capture. */
async function rig(kind: BackendKind, options: { refuseEnqueue?: boolean } = {}) {
  const q = await freshQueue(kind, { lockDurationMs: 2000, stalledIntervalMs: 1000 });
  const opened = await q.open();
  const backend = options.refuseEnqueue ? refusingEnqueue(opened) : opened;
  const deliveries: Delivery[] = [];
  const receiver = await serveHttp((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { event: string; job: { id: string; status: string } };
      deliveries.push({
        event: parsed.event,
        eventId: String(req.headers['x-render-event-id']),
        signed: verifySignature(String(req.headers['x-render-signature']), body, SECRET),
        jobId: parsed.job.id,
        status: parsed.job.status,
      });
      res.writeHead(200).end();
    });
  });
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const pending: Promise<boolean>[] = [];
  const jobs = startJobs({
    backend,
    config: { webhookSecret: SECRET, outputUrlTtlSeconds: 60, fetch: { allowPrivateUrls: true, connectTimeoutMs: 10_000 } },
    logger,
    onEvent: (d) => pending.push(d),
  });
  const newJob = (): JobRecord => ({
    ...jobRecord(randomUUID()),
    request: { ...jobRecord('x').request, webhookUrl: `${receiver.url}/hook` },
  });
  return {
    backend,
    lifecycle: jobs.lifecycle,
    deliveries,
    logs,
    newJob,
    /** Waits for every event published so far to finish its first delivery round. */
    settled: async () => assert.ok((await Promise.all(pending)).every(Boolean), 'every event delivered at once'),
    async close() {
      await jobs.close();
      await receiver.close();
      await q.cleanup();
    },
  };
}

type Rig = Awaited<ReturnType<typeof rig>>;

/**
 * Runs `change` (transition `name` of `id`) inside a span and checks every side effect: the
 * returned and stored status, the counter, the span attribute, the log line and the event.
 */
async function expectTransition(r: Rig, name: TransitionName, id: string, change: () => Promise<unknown>): Promise<void> {
  const t = TRANSITIONS[name];
  const before = await jobsTotal(t.to);
  const seen = r.deliveries.length;
  const spanName = `step ${name} ${id}`;
  await tracer.startActiveSpan(spanName, async (span) => {
    try {
      const result = (await change()) as JobRecord | { job: JobRecord } | null;
      const job = result && 'job' in result ? result.job : result;
      assert.equal(job?.status, t.to, `${name} returns the record in ${t.to}`);
    } finally {
      span.end();
    }
  });
  assert.equal((await r.backend.store.get(id))?.status, t.to, `${name}: stored`);
  assert.equal(await jobsTotal(t.to), before + (t.counted ? 1 : 0), `${name}: render_jobs_total{status="${t.to}"}`);
  const span = telemetry.spans().find((s) => s.name === spanName);
  assert.equal(span?.attributes['render.job.status'], t.to, `${name}: span attribute`);
  assert.ok(
    r.logs.some((l) => l.job_id === id && l.transition === name && l.status === t.to),
    `${name}: one log line naming the transition`,
  );
  await r.settled();
  const events = r.deliveries.slice(seen);
  if (t.event === null) {
    assert.deepEqual(events, [], `${name} sends no event`);
  } else {
    assert.equal(events.length, 1, `${name} sends exactly one event`);
    assert.deepEqual({ ...events[0], eventId: undefined }, { event: t.event, eventId: undefined, signed: true, jobId: id, status: t.to });
    assert.match(events[0]!.eventId, /^[0-9a-f-]{36}$/, 'the outbox event id');
  }
}

/** Asserts a refused change returns null and leaves the record, the counters and the webhooks alone. */
async function expectRefused(r: Rig, id: string, change: () => Promise<unknown>): Promise<void> {
  const before = await r.backend.store.get(id);
  const totals = await Promise.all((['completed', 'failed', 'cancelled', 'queued', 'retrying'] as const).map(jobsTotal));
  const seen = r.deliveries.length;
  const result = await change();
  assert.equal(result, null);
  assert.deepEqual(await r.backend.store.get(id), before);
  assert.deepEqual(await Promise.all((['completed', 'failed', 'cancelled', 'queued', 'retrying'] as const).map(jobsTotal)), totals);
  await r.settled();
  assert.equal(r.deliveries.length, seen);
}

async function started(r: Rig, id: string, attempt: number): Promise<AttemptOwner> {
  const s = await r.lifecycle.start({ jobId: id, attempt, startedAt: new Date(), queueWaitSeconds: 0.5 });
  assert.ok(s);
  // Its render.started is delivered before the step under test counts deliveries.
  await r.settled();
  return s.owner;
}

/** A backend whose enqueue always fails (Redis gone between the two writes). */
function refusingEnqueue(backend: QueueBackend): QueueBackend {
  return new Proxy(backend, {
    get: (target, prop, receiver) =>
      prop === 'enqueue' ? async () => Promise.reject(new Error('queue down')) : Reflect.get(target, prop, receiver),
  });
}

const covered = new Set<TransitionName>();
const drive = (r: Rig, name: TransitionName, id: string, change: () => Promise<unknown>) => {
  covered.add(name);
  return expectTransition(r, name, id, change);
};

for (const kind of ['embedded', 'bullmq'] as const) {
  describe(`the lifecycle on ${kind}`, () => {
    test('submit → start → resumed start → retry later → start → hand back → start → complete', { timeout: 60_000 }, async () => {
      const r = await rig(kind);
      try {
        const job = r.newJob();
        await drive(r, 'submit', job.id, () => r.lifecycle.submit(job));
        assert.equal(await r.backend.hasEntry(job.id, 0), true, 'submit queued it');
        let owner = await started(r, job.id, 1);
        // The first start's event and effects, checked through a second (resumed) start: processing → processing.
        await drive(r, 'start', job.id, () => r.lifecycle.start({ jobId: job.id, attempt: 2, startedAt: new Date(), queueWaitSeconds: 0 }));
        await expectRefused(r, job.id, () => r.lifecycle.complete(owner, { outputKey: 'stale.mp4', output, durationSeconds: 1 }));
        owner = { jobId: job.id, attemptId: (await r.backend.store.get(job.id))!.attemptId!, attempt: 2 };
        await drive(r, 'retryLater', job.id, () => r.lifecycle.retryLater(owner, new AssetFetchError('flaky network'), 100));
        assert.equal((await r.backend.store.get(job.id))?.error?.code, 'ASSET_FETCH_FAILED');
        owner = await started(r, job.id, 3);
        await drive(r, 'handBack', job.id, () => r.lifecycle.handBack(owner));
        assert.equal((await r.backend.store.get(job.id))?.attempts, 2, 'the interrupted start is not counted');
        owner = await started(r, job.id, 3);
        assert.equal(await r.lifecycle.progress(owner, { progress: 0.5, stage: 'encode' }), true);
        assert.equal(await r.lifecycle.progress({ ...owner, attemptId: 'someone-else' }, { progress: 0.9 }), false, 'progress is fenced');
        await drive(r, 'complete', job.id, () => r.lifecycle.complete(owner, { outputKey: `${job.id}.mp4`, output, durationSeconds: 2 }));
        const done = await r.backend.store.get(job.id);
        assert.equal(done?.outputKey, `${job.id}.mp4`);
        assert.equal(done?.progress, 1);
        await expectRefused(r, job.id, () => r.lifecycle.cancel(job.id));
        assert.deepEqual(
          r.deliveries.map((d) => d.event),
          ['render.started', 'render.started', 'render.started', 'render.started', 'render.completed'],
        );
      } finally {
        await r.close();
      }
    });

    test('fail → user retry → cancel → user retry → give up', { timeout: 60_000 }, async () => {
      const r = await rig(kind);
      try {
        const job = r.newJob();
        await r.lifecycle.submit(job);
        const owner = await started(r, job.id, 1);
        await drive(r, 'fail', job.id, () => r.lifecycle.fail(owner, new AssetRejectedError('ASSET_INVALID', 'not an image'), 1.5));
        const failed = await r.backend.store.get(job.id);
        assert.equal(failed?.error?.code, 'ASSET_INVALID');
        assert.ok(failed?.finishedAt);
        await expectRefused(r, job.id, () => r.lifecycle.giveUp({ id: job.id, generation: 0, reason: 'stalled', detail: 'late report' }));
        await drive(r, 'retry', job.id, () => r.lifecycle.retry(job.id, 3));
        await expectRefused(r, job.id, () => r.lifecycle.retry(job.id, 3));
        const retried = await r.backend.store.get(job.id);
        assert.equal(retried?.generation, 1);
        assert.equal(retried?.error, null);
        assert.equal(retried?.attempts, 0);
        assert.equal(await r.backend.hasEntry(job.id, 1), true, 'the retry queued the new generation');
        await drive(r, 'cancel', job.id, () => r.lifecycle.cancel(job.id));
        assert.equal(await r.backend.hasEntry(job.id, 1), false, 'cancel removed the waiting entry');
        await drive(r, 'retry', job.id, () => r.lifecycle.retry(job.id, 3));
        await expectRefused(r, job.id, () =>
          r.lifecycle.giveUp({ id: job.id, generation: 1, reason: 'stalled', detail: 'old generation' }),
        );
        await drive(r, 'giveUp', job.id, () =>
          r.lifecycle.giveUp({ id: job.id, generation: 2, reason: 'stalled', detail: 'job stalled more than allowable limit' }),
        );
        assert.equal((await r.backend.store.get(job.id))?.error?.code, 'WORKER_LOST');
        assert.deepEqual(
          r.deliveries.map((d) => d.event),
          ['render.started', 'render.failed', 'render.cancelled', 'render.failed'],
        );
      } finally {
        await r.close();
      }
    });

    test('abandon: a submission whose enqueue fails ends failed, counted and announced, never queued', { timeout: 30_000 }, async () => {
      const r = await rig(kind, { refuseEnqueue: true });
      try {
        const job = r.newJob();
        const [queued, failed] = [await jobsTotal('queued'), await jobsTotal('failed')];
        await assert.rejects(r.lifecycle.submit(job), /queue down/);
        covered.add('abandon');
        const stored = await r.backend.store.get(job.id);
        assert.equal(stored?.status, 'failed');
        assert.equal(stored?.error?.code, 'QUEUE_UNAVAILABLE');
        assert.equal(await jobsTotal('failed'), failed + 1);
        assert.equal(await jobsTotal('queued'), queued, 'a refused submission is not counted queued');
        assert.ok(r.logs.some((l) => l.job_id === job.id && l.transition === 'abandon'));
        await r.settled();
        assert.deepEqual(
          r.deliveries.map((d) => [d.event, d.status, d.signed]),
          [['render.failed', 'failed', true]],
        );
      } finally {
        await r.close();
      }
    });
  });
}

test('the scenarios above drive every transition of the table', () => {
  assert.deepEqual([...covered].sort(), [...TRANSITION_NAMES].sort());
});
