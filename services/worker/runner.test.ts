import { afterAll, test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startJobs, type JobLifecycle } from '../jobs';
import { createEmbeddedBackend } from '../queue/embedded';
import type { QueueBackend, WorkerHandle } from '../queue/contract';
import { newJobRecord, type JobRecord } from '../shared/job';
import type { Config } from '../shared/config';
import { startWorkerRuntime } from './runtime';
import { createLocalStorage } from '../storage/local';
import { verifySignature } from '../jobs/webhook-signature';
import { deck, quietLogger, serveHttp, testConfig } from '../../test/support/worker';

// Scratch dirs go under <dataDir>/scratch/<host>.<pid>/; temp files of the test helpers under this dir.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'render-runner-tmp-'));
process.env.TMPDIR = tmp;

interface Harness {
  backend: QueueBackend;
  lifecycle: JobLifecycle;
  worker: WorkerHandle;
  config: Readonly<Config>;
  webhooks: Promise<boolean>[];
  submit(body: Record<string, unknown>): Promise<string>;
  waitFor(id: string, done: (job: JobRecord) => boolean, timeoutMs?: number): Promise<JobRecord>;
  /** Resolves once the worker holds no job (every attempt, cancelled ones included, has ended). */
  waitUntilIdle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

async function harness(env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const { config, cleanup } = testConfig({ RENDER_MAX_ATTEMPTS: '2', RENDER_HEARTBEAT_MS: '200', WEBHOOK_SECRET: 'shh', ...env });
  const backend = await createEmbeddedBackend(config, quietLogger);
  const webhooks: Promise<boolean>[] = [];
  const jobs = startJobs({ backend, config, logger: quietLogger, webhook: { baseDelayMs: 10 }, onEvent: (d) => webhooks.push(d) });
  const worker = await startWorkerRuntime({ backend, config, logger: quietLogger, storage: createLocalStorage(config.outputDir), jobs });
  return {
    backend,
    lifecycle: jobs.lifecycle,
    worker,
    config,
    webhooks,
    async submit(body) {
      const id = randomUUID();
      await backend.store.create(newJobRecord(id, deck(body), config.maxAttempts));
      await backend.enqueue(id, {});
      return id;
    },
    async waitFor(id, done, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await backend.store.get(id);
        if (job && done(job)) return job;
        if (Date.now() > deadline) throw new Error(`job ${id} stuck in ${job?.status}/${job?.stage}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async waitUntilIdle(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while ((await backend.counts()).active > 0) {
        if (Date.now() > deadline) throw new Error('the worker still holds a job');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      await worker.close();
      await Promise.all(webhooks);
      await jobs.close();
      await backend.close();
      cleanup();
    },
  };
}

const finished = (job: JobRecord) => ['completed', 'failed', 'cancelled'].includes(job.status);

function ffmpegChildren(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), 'ffmpeg'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

test('a job runs to completed with its output stored, signed webhooks sent and scratch removed', { timeout: 90_000 }, async () => {
  const received: { event: string; signature: string | undefined; valid: boolean; status: string; hasDeck: boolean }[] = [];
  const hook = await serveHttp(async (req, res) => {
    const body = await readBody(req);
    const parsed = JSON.parse(body) as { event: string; job: { status: string; request?: unknown } };
    const signature = req.headers['x-render-signature'] as string | undefined;
    received.push({
      event: parsed.event,
      signature,
      valid: verifySignature(signature, body, 'shh'),
      status: parsed.job.status,
      hasDeck: parsed.job.request !== undefined,
    });
    res.end();
  });
  const h = await harness();
  try {
    const id = await h.submit({
      webhookUrl: `${hook.url}/hook`,
      slides: [
        { title: 'one', narration: 'Hello from the runner test.', duration: 1 },
        { title: 'two', duration: 1 },
      ],
    });
    const job = await h.waitFor(id, finished);
    assert.equal(job.status, 'completed', JSON.stringify(job.error));
    assert.deepEqual([job.attempts, job.progress, job.stage, job.error], [1, 1, 'store', null]);
    assert.ok(job.startedAt && job.finishedAt && job.durationSeconds !== null && job.queueWaitSeconds !== null);
    assert.equal(job.output?.url, `/api/jobs/${id}/output`);
    // Stored under this attempt's own key in the local folder; the record names the key, not a path.
    assert.match(job.outputKey ?? '', new RegExp(`^${id}\\.a1-[0-9a-f]{12}\\.mp4$`));
    assert.equal(job.outputPath, null);
    // The video, and the piece cache's folder next to it.
    assert.deepEqual(readdirSync(h.config.outputDir).sort(), [job.outputKey, 'pieces'].sort());
    assert.ok((job.output?.durationSeconds ?? 0) >= 2);
    await Promise.all(h.webhooks);
    assert.deepEqual(
      received.map((r) => [r.event, r.status, r.valid, r.hasDeck]),
      [
        ['render.started', 'processing', true, false],
        ['render.completed', 'completed', true, false],
      ],
      'signed, and the deck never leaves in a webhook',
    );
    // The attempt removes its scratch dir as it ends, just after publishing: wait for that, bounded.
    const scratchLeft = () => readdirSync(path.join(h.config.dataDir, 'scratch', `${os.hostname()}.${process.pid}`));
    for (let i = 0; i < 100 && scratchLeft().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(scratchLeft(), []);
  } finally {
    await h.close();
    await hook.close();
  }
});

test('a missing asset fails the job at once with its code; the failed webhook is sent', { timeout: 60_000 }, async () => {
  const assets = await serveHttp((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  const events: string[] = [];
  const hook = await serveHttp(async (req, res) => {
    events.push((JSON.parse(await readBody(req)) as { event: string }).event);
    res.end();
  });
  const h = await harness();
  try {
    const id = await h.submit({ webhookUrl: hook.url, slides: [{ title: 'x', imageUrl: `${assets.url}/gone.png` }] });
    const job = await h.waitFor(id, finished);
    assert.equal(job.status, 'failed');
    assert.equal(job.attempts, 1);
    assert.deepEqual(job.error, { code: 'ASSET_NOT_FOUND', category: 'validation', message: job.error?.message, retryable: false });
    assert.equal(job.stage, 'fetch');
    await Promise.all(h.webhooks);
    assert.deepEqual(events, ['render.started', 'render.failed']);
  } finally {
    await h.close();
    await hook.close();
    await assets.close();
  }
});

test('a network failure is retried up to maxAttempts, then fails in the network category', { timeout: 60_000 }, async () => {
  let hits = 0;
  const assets = await serveHttp((_req, res) => {
    hits++;
    res.writeHead(503);
    res.end();
  });
  const h = await harness();
  try {
    const id = await h.submit({ slides: [{ title: 'x', imageUrl: `${assets.url}/flaky.png` }] });
    const job = await h.waitFor(id, finished);
    assert.equal(job.status, 'failed');
    assert.equal(job.attempts, 2);
    assert.equal(hits, 2);
    assert.deepEqual([job.error?.code, job.error?.category, job.error?.retryable], ['ASSET_FETCH_FAILED', 'network', true]);
  } finally {
    await h.close();
    await assets.close();
  }
});

const LONG = { config: { width: 1280, height: 720, fps: 30, quality: 'high' }, slides: [{ title: 'long', duration: 600 }] };

test('cancelling a job during encode stops FFmpeg and keeps it cancelled', { timeout: 60_000 }, async () => {
  const h = await harness();
  try {
    const id = await h.submit(LONG);
    await h.waitFor(id, (j) => j.stage === 'encode' && ffmpegChildren().length > 0);
    assert.equal((await h.lifecycle.cancel(id))?.status, 'cancelled');
    for (let i = 0; i < 60 && ffmpegChildren().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(ffmpegChildren(), []);
    // The cancelled attempt has ended once the worker holds no job: only then is the record final.
    await h.waitUntilIdle();
    const job = await h.backend.store.get(id);
    assert.deepEqual([job?.status, job?.output, job?.error], ['cancelled', null, null]);
    const left = existsSync(h.config.outputDir) ? readdirSync(h.config.outputDir) : [];
    assert.deepEqual(
      left.filter((n) => n.includes(id)),
      [],
      'a cancelled job keeps no video',
    );
  } finally {
    await h.close();
  }
});

test('a worker shutdown mid-job leaves the job for recovery instead of failing it', { timeout: 60_000 }, async () => {
  const h = await harness();
  try {
    const id = await h.submit(LONG);
    await h.waitFor(id, (j) => j.stage === 'encode');
    await h.worker.close();
    assert.deepEqual(ffmpegChildren(), []);
    const job = await h.backend.store.get(id);
    assert.ok(job && (job.status === 'processing' || job.status === 'queued'), `status ${job?.status}`);
    assert.equal(job?.error, null);
  } finally {
    await h.close();
  }
});

afterAll(() => {
  delete process.env.TMPDIR;
  execFileSync('rm', ['-rf', tmp]);
});
