/**
 * Many machines for real: Redis, an S3-compatible server, one API and two workers as separate
 * processes, each with its OWN data directory, all with RENDER_STORAGE_URL=s3://renders/outputs
 * (endpoint and credentials from the standard AWS variables, path style forced). The S3 server is
 * an EMULATOR (s3rver, see test/support/s3-emulator.ts) on 127.0.0.1, not MinIO or AWS.
 *
 * Every job completes; after the workers are stopped and their data folders deleted, the API still
 * serves every video (full and ranged) from the bucket; the presigned URL (?redirect=1 and the
 * webhook's output URL) downloads the same bytes and stops working after its lifetime; a deleted
 * video's object is gone from the bucket; error answers are JSON.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startService, type RunningService } from '../support/service';
import { freePort, waitFor } from '../support/ports';
import { submitJob, tinyDeck, waitForStatus, type ApiJob } from '../support/jobs';
import { startS3Emulator, type S3Emulator } from '../support/s3-emulator';
import { probe } from './process-tree';

const redisUrl = process.env.REDIS_TEST_URL;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('API and two workers on separate data folders, videos in S3-compatible storage', { timeout: 300_000 }, () => {
  let s3: S3Emulator;
  let bucket: S3Client;
  let api: RunningService | undefined;
  const workers: RunningService[] = [];
  const hooks: { event: string; job: ApiJob; downloaded?: string; status?: number }[] = [];
  let hookServer: http.Server | undefined;
  let hookUrl = '';
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-s3-e2e-'));
  const jobs: ApiJob[] = [];
  const videos = new Map<string, Buffer>();
  let env: Record<string, string>;

  const objects = async (prefix = 'outputs/') =>
    ((await bucket.send(new ListObjectsV2Command({ Bucket: 'renders', Prefix: prefix }))).Contents ?? []).map((o) => o.Key ?? '');

  beforeAll(async () => {
    assert.ok(redisUrl, 'REDIS_TEST_URL is not set: run through scripts/with-redis.sh (make test does)');
    s3 = await startS3Emulator({ buckets: ['renders'] });
    bucket = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: s3.env.AWS_ACCESS_KEY_ID, secretAccessKey: s3.env.AWS_SECRET_ACCESS_KEY },
    });
    // The webhook receiver downloads the completed job's output URL at once, as a real one would.
    hookServer = http.createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const payload = JSON.parse(body) as { event: string; job: ApiJob };
      const entry: (typeof hooks)[number] = { event: payload.event, job: payload.job };
      if (payload.event === 'render.completed' && payload.job.output) {
        const got = await fetch(payload.job.output.url);
        entry.status = got.status;
        entry.downloaded = sha(Buffer.from(await got.arrayBuffer()));
      }
      hooks.push(entry);
      res.end();
    });
    await new Promise<void>((r) => hookServer!.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
    env = {
      REDIS_URL: redisUrl!,
      RENDER_QUEUE_NAME: `s3-${randomUUID().slice(0, 8)}`,
      RENDER_BACKOFF_MS: '200',
      RENDER_HEARTBEAT_MS: '1000',
      RENDER_STORAGE_URL: 's3://renders/outputs',
      ...s3.env,
      // Clients reach the store by another name than the services do (as in compose): URLs are signed for it.
      RENDER_S3_PUBLIC_ENDPOINT: s3.endpoint.replace('127.0.0.1', 'localhost'),
    };
    // Each process gets its own fresh data folder (startService makes one when none is given).
    api = await startService({ entry: 'services/api/main.ts', env: { ...env, RENDER_OUTPUT_URL_TTL: '2' } });
    for (let i = 0; i < 2; i++) {
      // Workers sign the webhook's URL: a longer lifetime, so the receiver's download never races it.
      workers.push(await startService({ entry: 'services/worker/main.ts', env: { ...env, RENDER_OUTPUT_URL_TTL: '600' } }));
    }
    assert.equal(new Set([api.dataDir, ...workers.map((w) => w.dataDir)]).size, 3, 'three separate data folders');
  });

  afterAll(async () => {
    await Promise.all([...workers.map((w) => w.stop()), api?.stop()]);
    for (const p of [...workers, api]) p?.cleanup();
    await new Promise<void>((r) => (hookServer ? hookServer.close(() => r()) : r()));
    bucket?.destroy();
    await s3?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('every job completes and its object is in the bucket; readiness reports the storage', { timeout: 120_000 }, async () => {
    const ready = await fetch(`${api!.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { storage: string }).storage, 's3');
    const submitted = await Promise.all(
      Array.from({ length: 3 }, (_, i) => submitJob(api!.url, tinyDeck(`s3 deck ${i}`, 1, 1, { webhookUrl: hookUrl }))),
    );
    for (const job of submitted) {
      const done = await waitForStatus(api!.url, job.id, ['completed', 'failed'], 110_000);
      assert.equal(done.status, 'completed', JSON.stringify(done.error));
      jobs.push(done);
    }
    const keys = await objects();
    for (const job of jobs) {
      assert.equal(keys.filter((k) => k.startsWith(`outputs/${job.id}.a`)).length, 1, `one object for ${job.id}: ${keys.join(', ')}`);
      // Nothing of the video is left in any process's own data folder.
      for (const p of [api!, ...workers]) assert.equal(existsSync(path.join(p.dataDir, 'outputs')), false, p.dataDir);
    }
  });

  test('with the workers stopped and their data folders deleted, the API serves every video, whole and by range', {
    timeout: 60_000,
  }, async () => {
    assert.equal(jobs.length, 3, 'needs the completed jobs of the previous test');
    for (const w of workers) {
      assert.equal(await w.stop(), 0);
      rmSync(w.dataDir, { recursive: true, force: true });
    }
    for (const job of jobs) {
      const res = await fetch(`${api!.url}/api/jobs/${job.id}/output`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'video/mp4');
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.equal(bytes.length, job.output?.bytes);
      const file = path.join(scratch, `${job.id}.mp4`);
      writeFileSync(file, bytes);
      const info = probe(file);
      assert.deepEqual(info.video, { codec: 'h264', width: 160, height: 120 });
      assert.ok(Math.abs(info.durationSeconds - 1) <= 0.25, `duration ${info.durationSeconds}`);
      videos.set(job.id, bytes);

      const part = await fetch(`${api!.url}/api/jobs/${job.id}/output`, { headers: { range: 'bytes=100-299' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 100-299/${bytes.length}`);
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(100, 300));
    }
    const outside = await fetch(`${api!.url}/api/jobs/${jobs[0].id}/output`, { headers: { range: 'bytes=99999999-' } });
    assert.equal(outside.status, 416);
    assert.match(outside.headers.get('content-type') ?? '', /^application\/json/);
    const unknown = await fetch(`${api!.url}/api/jobs/${randomUUID()}/output`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.headers.get('content-type') ?? '', /^application\/json/);
  });

  test('the webhook output URL and ?redirect=1 are presigned for the public endpoint; the redirect one expires', {
    timeout: 60_000,
  }, async () => {
    const job = jobs[0];
    const bytes = videos.get(job.id);
    assert.ok(bytes, 'needs the downloads of the previous test');
    const completed = hooks.filter((h) => h.event === 'render.completed' && h.job.id === job.id);
    assert.equal(completed.length, 1);
    assert.ok(
      completed[0].job.output?.url.startsWith(`${env.RENDER_S3_PUBLIC_ENDPOINT}/renders/outputs/${job.id}.a`),
      completed[0].job.output?.url,
    );
    assert.equal(completed[0].status, 200);
    assert.equal(completed[0].downloaded, sha(bytes));

    const redirect = await fetch(`${api!.url}/api/jobs/${job.id}/output?redirect=1`, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    const location = redirect.headers.get('location') ?? '';
    assert.ok(location.startsWith(`${env.RENDER_S3_PUBLIC_ENDPOINT}/renders/outputs/${job.id}.a`), location);
    const direct = await fetch(location);
    assert.equal(direct.status, 200);
    assert.equal(sha(Buffer.from(await direct.arrayBuffer())), sha(bytes));
    // RENDER_OUTPUT_URL_TTL=2 on the API: poll until the store refuses it (no fixed sleep).
    await waitFor('the presigned URL to expire', async () => (await fetch(location)).status === 403, 20_000, 250);
    // The API itself keeps serving it, and hands out a fresh URL on request.
    assert.equal((await fetch(`${api!.url}/api/jobs/${job.id}/output`, { method: 'HEAD' })).status, 200);
  });

  test("deleting a job's video deletes its object from the bucket", { timeout: 30_000 }, async () => {
    const job = jobs[1];
    assert.equal((await objects(`outputs/${job.id}.`)).length, 1);
    const del = await fetch(`${api!.url}/api/jobs/${job.id}/output`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.deepEqual(await objects(`outputs/${job.id}.`), []);
    const gone = await fetch(`${api!.url}/api/jobs/${job.id}/output`);
    assert.equal(gone.status, 404);
    assert.match(gone.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(((await gone.json()) as { error: { code: string } }).error.code, 'OUTPUT_NOT_FOUND');
    assert.equal((await objects(`outputs/${jobs[2].id}.`)).length, 1, "another job's object is untouched");
  });

  test('an API whose storage does not answer reports 503 on /readyz, naming the storage', { timeout: 60_000 }, async () => {
    const closed = await freePort();
    const down = await startService({ entry: 'services/api/main.ts', env: { ...env, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${closed}` } });
    try {
      const res = await fetch(`${down.url}/readyz`);
      assert.equal(res.status, 503);
      assert.match(((await res.json()) as { reason: string }).reason, /video storage/);
    } finally {
      await down.stop();
      down.cleanup();
    }
  });
});
