/**
 * BullMQ's give-up reaches the lifecycle through the queue contract: a job with attempts left
 * (maxAttempts 7) whose worker process is SIGKILLed on every attempt stalls past BullMQ's limit (5);
 * the next worker to take it reports the give-up (reason `stalled`), and the lifecycle fails it with
 * a delivered, signed `render.failed` carrying the outbox's event id. The worker processes are real
 * (services/queue/crash-worker.fixture.ts), the Redis is the test one; stall timings are shortened.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { GiveUpReport } from '../queue/contract';
import { freshQueue, jobRecord, killHard, redisTestUrl, startCrashWorker, waitFor } from '../queue/test-support';
import { serveHttp } from '../worker/test-support';
import { startJobs } from '.';
import { verifySignature } from './webhook-signature';

const SECRET = 'give-up-secret';
const MAX_STALLED = 5;

test('killed on every attempt until BullMQ gives up: failed by the lifecycle, render.failed delivered', { timeout: 120_000 }, async () => {
  const q = await freshQueue('bullmq', { lockDurationMs: 2000, stalledIntervalMs: 1000, maxStalledCount: MAX_STALLED });
  const seen: { event: string; status: string; eventId: string; signed: boolean }[] = [];
  const receiver = await serveHttp((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { event: string; job: { status: string } };
      const eventId = String(req.headers['x-render-event-id']);
      seen.push({
        event: parsed.event,
        status: parsed.job.status,
        eventId,
        signed: verifySignature(String(req.headers['x-render-signature']), body, SECRET),
      });
      res.writeHead(200).end();
    });
  });
  const backend = await q.open();
  const config = { webhookSecret: SECRET, outputUrlTtlSeconds: 60, fetch: { allowPrivateUrls: true, connectTimeoutMs: 10_000 } };
  const jobs = startJobs({ backend, config, logger: pino({ level: 'silent' }) });
  const env = {
    CRASH_KIND: 'bullmq',
    CRASH_QUEUE_NAME: q.queueName,
    CRASH_REDIS_URL: redisTestUrl(),
    CRASH_MAX_STALLED: String(MAX_STALLED),
  };
  let crash: ReturnType<typeof startCrashWorker> | undefined;
  try {
    const base = jobRecord('stalls');
    const job = { ...base, maxAttempts: 7, request: { ...base.request, webhookUrl: `${receiver.url}/hook` } };
    await jobs.lifecycle.submit(job);
    // Each kill is one stall; the sixth exceeds the limit while the job still has attempts left (7).
    for (let attempt = 1; attempt <= MAX_STALLED + 1; attempt++) {
      crash = startCrashWorker(env);
      assert.deepEqual(await crash.started, { started: 'stalls', attempt });
      // What the attempt runner records when an attempt starts (the fixture only holds the job).
      assert.ok(await jobs.lifecycle.start({ jobId: 'stalls', attempt, startedAt: new Date(), queueWaitSeconds: 0 }));
      await killHard(crash.child);
    }
    let ran = false;
    const reports: GiveUpReport[] = [];
    const survivor = await backend.startWorker(
      async () => {
        ran = true;
        return { kind: 'completed' };
      },
      {
        concurrency: 1,
        heartbeatMs: 200,
        onGaveUp: async (report) => {
          reports.push(report);
          await jobs.lifecycle.onGaveUp(report);
        },
      },
    );
    await waitFor('render.failed', () => seen.some((s) => s.event === 'render.failed'), 60_000);
    await survivor.close();
    assert.equal(ran, false, 'BullMQ failed the job instead of running it a seventh time');
    assert.deepEqual(reports[0], { id: 'stalls', generation: 0, reason: 'stalled', detail: 'job stalled more than allowable limit' });
    const failed = await backend.store.get('stalls');
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.error?.code, 'WORKER_LOST');
    assert.equal(failed?.attempts, MAX_STALLED + 1, 'given up before maxAttempts (7) ran out');
    const events = seen.filter((s) => s.event === 'render.failed');
    assert.equal(events.length, 1);
    assert.deepEqual({ ...events[0], eventId: undefined }, { event: 'render.failed', status: 'failed', eventId: undefined, signed: true });
    assert.match(events[0]!.eventId, /^[0-9a-f-]{36}$/);
    assert.equal(seen.filter((s) => s.event === 'render.started').length, MAX_STALLED + 1);
  } finally {
    if (crash) await killHard(crash.child);
    await jobs.close();
    await receiver.close();
    await q.cleanup();
  }
});
