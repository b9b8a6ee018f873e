/**
 * Every final status sends its webhook, whichever process makes the change, in both layouts: a job
 * whose worker keeps dying ends `failed` with a delivered `render.failed` (embedded: the runner
 * gives up after RENDER_MAX_ATTEMPTS; Redis: BullMQ's stall limit, 5, is reached first with
 * RENDER_MAX_ATTEMPTS=7 and the worker reports the give-up through the queue contract), and a
 * cancelled job's `render.cancelled` is delivered (sent by the API process itself in the Redis
 * layout). Every delivery is signed and carries the outbox's event id.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService, type RunningService, type ServiceOptions } from '../support/service';
import { WaitAborted, waitFor } from '../support/ports';
import { getJob, submitJob, waitForStatus } from '../support/jobs';
import { descendants } from './process-tree';
import { startWebhookReceiver, type SeenWebhook, type WebhookReceiver } from '../support/webhook-receiver';

const SECRET = 'lifecycle-e2e-secret';

/** These tests restart services many times on a shared, busy machine: a start may take longer than the default wait. */
const start = (options: ServiceOptions) => startService({ readyTimeoutMs: 90_000, ...options });

/** Runs for minutes unless killed or cancelled; small frames keep the encode cheap. */
const longDeck = (hook: string) => ({
  title: 'keeps its worker busy',
  slides: [{ title: 'long', content: 'a long slide', duration: 600, transition: 'none' }],
  config: { width: 320, height: 240, fps: 10, quality: 'low' },
  webhookUrl: hook,
});

/** Never finishes: its image never arrives (RENDER_FETCH_TIMEOUT_MS is raised), so every attempt runs until killed. */
const hangingDeck = (hook: string) => ({
  ...longDeck(hook),
  slides: [{ title: 'waits', imageUrl: hook.replace(/\/hook$/, '/hang.png'), duration: 5, transition: 'none' }],
});

/** Waits for the one delivery of `event` for `jobId` and checks it is signed with an outbox event id. */
async function delivered(hook: { seen: SeenWebhook[] }, jobId: string, event: string, status: string): Promise<SeenWebhook> {
  await waitFor(`${event} for ${jobId}`, () => hook.seen.some((s) => s.jobId === jobId && s.event === event), 60_000);
  const all = hook.seen.filter((s) => s.jobId === jobId && s.event === event);
  assert.equal(new Set(all.map((s) => s.eventId)).size, 1, `one ${event} event (retries keep its id)`);
  const one = all[0]!;
  assert.equal(one.status, status);
  assert.equal(one.signed, true, `${event} is signed with WEBHOOK_SECRET`);
  assert.match(one.eventId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'the outbox event id');
  return one;
}

/** SIGKILLs a service and whatever it started (FFmpeg, espeak-ng), like a machine losing the process. */
async function killHard(svc: RunningService): Promise<void> {
  const children = descendants(svc.child.pid!).map((d) => d.pid);
  svc.child.kill('SIGKILL');
  await svc.stop();
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Waits until the job is being processed by attempt `attempt`. */
async function attemptRunning(api: string, id: string, attempt: number, timeoutMs: number): Promise<void> {
  await waitFor(
    `job ${id} running attempt ${attempt}`,
    async () => {
      const j = await getJob(api, id);
      if (j.status === 'completed' || j.status === 'cancelled') throw new WaitAborted(`job ended ${j.status}`);
      return j.status === 'processing' && j.attempts === attempt;
    },
    timeoutMs,
    100,
  );
}

describe('final-status webhooks on the embedded default', { timeout: 240_000 }, () => {
  let hook: WebhookReceiver;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-lifecycle-'));
  beforeAll(async () => {
    hook = await startWebhookReceiver(SECRET, { hangPrefix: '/hang' });
  });
  afterAll(async () => {
    await hook.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a job that kills its process on every attempt ends failed and its render.failed is delivered', async () => {
    const env = { RENDER_MAX_ATTEMPTS: '2', WEBHOOK_SECRET: SECRET };
    let svc = await start({ dataDir, env });
    try {
      const job = await submitJob(svc.url, longDeck(hook.url));
      for (let attempt = 1; attempt <= 2; attempt++) {
        await attemptRunning(svc.url, job.id, attempt, 60_000);
        await killHard(svc);
        svc = await start({ dataDir, env });
      }
      const final = await waitForStatus(svc.url, job.id, ['failed', 'completed'], 60_000);
      assert.equal(final.status, 'failed');
      assert.equal(final.error?.code, 'WORKER_LOST');
      await delivered(hook, job.id, 'render.failed', 'failed');
    } finally {
      await svc.stop();
    }
  });

  test('a cancelled job sends render.cancelled', async () => {
    const svc = await start({ dataDir, env: { WEBHOOK_SECRET: SECRET } });
    try {
      const job = await submitJob(svc.url, longDeck(hook.url));
      await attemptRunning(svc.url, job.id, 1, 60_000);
      assert.equal((await fetch(`${svc.url}/api/jobs/${job.id}`, { method: 'DELETE' })).status, 200);
      await delivered(hook, job.id, 'render.cancelled', 'cancelled');
      assert.equal((await getJob(svc.url, job.id)).status, 'cancelled');
    } finally {
      await svc.stop();
    }
  });
});

describe('final-status webhooks in the Redis layout (API + worker processes)', { timeout: 480_000 }, () => {
  const redisUrl = process.env.REDIS_TEST_URL;
  let hook: WebhookReceiver;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-lifecycle-redis-'));
  // Above BullMQ's stall limit (5): BullMQ gives up on a job whose worker keeps dying before the runner would.
  const env = {
    REDIS_URL: redisUrl,
    RENDER_QUEUE_NAME: `lifecycle-${randomUUID().slice(0, 8)}`,
    RENDER_MAX_ATTEMPTS: '7',
    WEBHOOK_SECRET: SECRET,
    RENDER_HEARTBEAT_MS: '1000',
    RENDER_FETCH_TIMEOUT_MS: '600000',
  };
  let api: RunningService | undefined;
  beforeAll(async () => {
    assert.ok(redisUrl, 'REDIS_TEST_URL is not set: run through scripts/with-redis.sh (make test does)');
    hook = await startWebhookReceiver(SECRET, { hangPrefix: '/hang' });
    api = await start({ entry: 'services/api/main.ts', dataDir, env });
  });
  afterAll(async () => {
    await api?.stop();
    await hook.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a worker killed until BullMQ gives up (stall limit): the job ends failed and render.failed is delivered', {
    timeout: 900_000,
  }, async () => {
    const job = await submitJob(api!.url, hangingDeck(hook.url));
    // Telemetry on: the workers' /metrics tell which one holds the job (render_jobs_in_progress).
    // Every started worker is in `workers` (the spare too: it takes jobs as soon as it is up, so it may be the one running the job).
    const workers: RunningService[] = [];
    const startWorker = async () => {
      const w = await start({ entry: 'services/worker/main.ts', dataDir, env, telemetry: true });
      workers.push(w);
      return w;
    };
    const running = async (w: RunningService) =>
      /^render_jobs_in_progress(\{[^}]*\})? 1$/m.test(await (await fetch(`${w.url}/metrics`)).text());
    // A spare worker is always up, so a kill costs one stall detection, not a process start as well.
    await startWorker();
    let spare = startWorker();
    const killedAttempts: number[] = [];
    try {
      // Each kill is one stall; the sixth exceeds maxStalledCount (5) and the next worker to take the
      // job fails it. Each round waits for an attempt newer than the last one killed (not for an exact
      // number: a start that a kill cut short may or may not have counted), or for the give-up.
      for (;;) {
        let victim: RunningService | undefined;
        let attempt = 0;
        let last: unknown;
        try {
          await waitFor(
            `an attempt after ${killedAttempts.at(-1) ?? 0} running, or the give-up`,
            async () => {
              const j = await getJob(api!.url, job.id);
              last = j;
              if (j.status === 'failed') return true;
              if (j.status !== 'processing' || j.attempts <= (killedAttempts.at(-1) ?? 0)) return false;
              // Only this job is in flight, so the worker with a job in progress is the one running it.
              victim = (await Promise.all(workers.map(async (w) => ((await running(w)) ? w : undefined)))).find(Boolean);
              attempt = j.attempts;
              return victim !== undefined;
            },
            180_000,
            50,
          );
        } catch (err) {
          const tails = workers.map((w) => w.output().split('\n').slice(-15).join('\n')).join('\n---\n');
          throw new Error(`${String(err)}\nkilled at attempts ${killedAttempts.join(', ')}; record ${JSON.stringify(last)}\n${tails}`);
        }
        if (!victim) break;
        assert.ok(
          killedAttempts.length < 6,
          `BullMQ gave up after its stall limit: still running after kills at ${killedAttempts.join(', ')}`,
        );
        await killHard(victim);
        killedAttempts.push(attempt);
        workers.splice(workers.indexOf(victim), 1);
        await spare;
        spare = startWorker();
      }
      const final = await getJob(api!.url, job.id);
      assert.equal(final.status, 'failed');
      assert.equal(final.error?.code, 'WORKER_LOST', JSON.stringify(final.error));
      assert.match(String(final.error?.message), /job stalled more than allowable limit/, "BullMQ's stall give-up, not the runner's");
      assert.equal(killedAttempts.length, 6, `six stalls (kills at attempts ${killedAttempts.join(', ')})`);
      assert.ok(final.attempts < 7, `failed before RENDER_MAX_ATTEMPTS (7) ran out: ${final.attempts}`);
      await delivered(hook, job.id, 'render.failed', 'failed');
      const started = hook.seen.filter((s) => s.jobId === job.id && s.event === 'render.started');
      // At most one per attempt. Not exactly one: this test kills a worker the moment its record says
      // processing, which can be before that attempt's render.started reached the outbox (the status
      // write and the outbox write are two writes; making them one is open work, see the CHANGELOG).
      assert.ok(new Set(started.map((s) => s.eventId)).size <= 6, 'no more than one render.started event per attempt');
    } finally {
      await spare.catch(() => undefined);
      await Promise.all(workers.map((w) => w.stop()));
    }
  });

  test('a cancelled job sends render.cancelled, delivered by the API process (no worker runs)', { timeout: 60_000 }, async () => {
    // Every earlier worker is gone: only the API process can make this change and deliver its event.
    const job = await submitJob(api!.url, longDeck(hook.url));
    assert.equal((await getJob(api!.url, job.id)).status, 'queued');
    assert.equal((await fetch(`${api!.url}/api/jobs/${job.id}`, { method: 'DELETE' })).status, 200);
    await delivered(hook, job.id, 'render.cancelled', 'cancelled');
  });
});
