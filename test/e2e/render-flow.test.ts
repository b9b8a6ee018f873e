/** The API with the real in-process worker runtime (`services/main.ts` in-process): jobs really render. */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { readdirSync, renameSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startTestService, type TestApi } from '../support/embedded';
import { call, postJson } from '../support/http';
import { assertDocumentedHeaders } from '../support/openapi-headers';

const tiny = (extra: Record<string, unknown> = {}) => ({
  title: 'flow deck',
  slides: [
    { title: 'A', duration: 1, transition: 'none' },
    { title: 'B', duration: 1, transition: 'none' },
  ],
  config: { width: 160, height: 120, fps: 10, quality: 'low' },
  ...extra,
});

/** A loopback port with nothing listening. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Polls the job until its status is final. */
async function settle(api: TestApi, id: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await call(`${api.url}/api/jobs/${id}`);
    if (['completed', 'failed', 'cancelled'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${body.status}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('render API with the worker runtime', { timeout: 150_000 }, () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestService({ env: { RENDER_MAX_ATTEMPTS: '1', RENDER_BACKOFF_MS: '100' } });
  });
  afterAll(async () => {
    await api?.close();
  });

  test('a job completes; its video downloads whole and by range; the summary counts it', { timeout: 70_000 }, async () => {
    const { body: job } = await postJson(`${api.url}/api/jobs`, tiny());
    const done = await settle(api, job.id);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    assert.equal(done.progress, 1);
    assert.equal(done.output.width, 160);
    const whole = await fetch(`${api.url}/api/jobs/${job.id}/output`);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('content-type'), 'video/mp4');
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');
    assert.deepEqual(assertDocumentedHeaders('downloadJobOutput', 200, whole.headers), ['Accept-Ranges']);
    const bytes = Buffer.from(await whole.arrayBuffer());
    assert.equal(bytes.length, done.output.bytes);
    assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp');
    const tail = await fetch(`${api.url}/api/jobs/${job.id}/output`, { headers: { range: 'bytes=-10' } });
    assert.equal(tail.status, 206);
    assert.equal(tail.headers.get('content-range'), `bytes ${bytes.length - 10}-${bytes.length - 1}/${bytes.length}`);
    assert.deepEqual(assertDocumentedHeaders('downloadJobOutput', 206, tail.headers), ['Accept-Ranges', 'Content-Range']);
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), bytes.subarray(bytes.length - 10));
    const bad = await call(`${api.url}/api/jobs/${job.id}/output`, { headers: { range: `bytes=${bytes.length}-` } });
    assert.equal(bad.status, 416);
    assert.equal(bad.body.error.code, 'RANGE_NOT_SATISFIABLE');
    assert.match(bad.headers.get('content-type') ?? '', /^application\/json/, 'an error is never labelled video/mp4');
    assert.equal(bad.headers.get('content-range'), `bytes */${bytes.length}`);
    assert.deepEqual(assertDocumentedHeaders('downloadJobOutput', 416, bad.headers), ['Content-Range']);
    assert.equal(bad.headers.get('content-disposition'), null);
    const cancel = await call(`${api.url}/api/jobs/${job.id}`, { method: 'DELETE' });
    assert.equal(cancel.status, 409);
    assert.equal(cancel.body.error.code, 'JOB_ALREADY_FINISHED');
    const retry = await call(`${api.url}/api/jobs/${job.id}/retry`, { method: 'POST' });
    assert.equal(retry.status, 409);
    assert.equal(retry.body.error.code, 'JOB_NOT_RETRYABLE');
    const summary = await call(`${api.url}/api/admin/summary?range=1h`);
    assert.equal(summary.status, 200);
    assert.ok(summary.body.totals.completed >= 1);
    assert.equal(summary.body.duration.completed.count, summary.body.totals.completed);
    assert.ok(summary.body.service.workers.length >= 1);
  });

  test('local storage: ?redirect=1 serves the video itself; DELETE …/output removes it and later downloads answer 404 JSON', {
    timeout: 70_000,
  }, async () => {
    const { body: job } = await postJson(`${api.url}/api/jobs`, tiny({ title: 'delete me' }));
    const done = await settle(api, job.id);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    const outputs = path.join(api.dataDir, 'outputs');
    const mine = () => readdirSync(outputs).filter((n) => n.startsWith(`${job.id}.`));
    assert.equal(mine().length, 1, 'the video is a file in the local outputs folder, as before object storage');
    const direct = await fetch(`${api.url}/api/jobs/${job.id}/output?redirect=1`, { redirect: 'manual' });
    assert.equal(direct.status, 200, 'a local folder cannot presign: no redirect');
    assert.equal((await direct.arrayBuffer()).byteLength, done.output.bytes);
    const head = await fetch(`${api.url}/api/jobs/${job.id}/output`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(done.output.bytes));

    const removed = await fetch(`${api.url}/api/jobs/${job.id}/output`, { method: 'DELETE' });
    assert.equal(removed.status, 204);
    assert.deepEqual(mine(), []);
    const after = await call(`${api.url}/api/jobs/${job.id}`);
    assert.equal(after.body.status, 'completed');
    assert.equal(after.body.output, null);
    const gone = await call(`${api.url}/api/jobs/${job.id}/output`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'OUTPUT_NOT_FOUND');
    assert.match(gone.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(gone.headers.get('content-disposition'), null);
  });

  test('a video missing from storage answers 404 OUTPUT_NOT_FOUND as JSON, not a JSON body labelled video/mp4', {
    timeout: 70_000,
  }, async () => {
    const { body: job } = await postJson(`${api.url}/api/jobs`, tiny({ title: 'lost file' }));
    assert.equal((await settle(api, job.id)).status, 'completed');
    const outputs = path.join(api.dataDir, 'outputs');
    for (const name of readdirSync(outputs).filter((n) => n.startsWith(`${job.id}.`))) rmSync(path.join(outputs, name));
    const res = await call(`${api.url}/api/jobs/${job.id}/output`);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'OUTPUT_NOT_FOUND');
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  });

  test('a record from before object storage (a local outputPath) still downloads', { timeout: 30_000 }, async () => {
    const { body: job } = await postJson(`${api.url}/api/jobs`, tiny({ title: 'legacy' }));
    const done = await settle(api, job.id);
    const record = await api.backend.store.get(job.id);
    const outputs = path.join(api.dataDir, 'outputs');
    // What the old store stage wrote: outputs/<id>.mp4 and outputPath on the record, no key.
    renameSync(path.join(outputs, record!.outputKey!), path.join(outputs, `${job.id}.mp4`));
    await api.backend.store.update(job.id, { outputKey: null, outputPath: path.join(outputs, `${job.id}.mp4`) });
    const res = await fetch(`${api.url}/api/jobs/${job.id}/output`);
    assert.equal(res.status, 200);
    assert.equal((await res.arrayBuffer()).byteLength, done.output.bytes);
  });

  test('a failed job can be retried by the user: it runs again from attempt 1', { timeout: 70_000 }, async () => {
    const port = await closedPort();
    const deck = tiny({ slides: [{ title: 'A', duration: 1, transition: 'none', audioUrl: `http://127.0.0.1:${port}/a.wav` }] });
    const { body: job } = await postJson(`${api.url}/api/jobs`, deck);
    const failed = await settle(api, job.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error.category, 'network');
    assert.equal(failed.attempts, 1);
    const retry = await call(`${api.url}/api/jobs/${job.id}/retry`, { method: 'POST' });
    assert.equal(retry.status, 202);
    assert.equal(retry.body.error, null);
    assert.equal(retry.body.attempts, 0);
    const again = await settle(api, job.id);
    assert.equal(again.status, 'failed');
    assert.equal(again.attempts, 1);
    const summary = await call(`${api.url}/api/admin/summary`);
    const network = summary.body.errors.find((e: { category: string }) => e.category === 'network');
    assert.equal(network.samples[0].jobId, job.id);
  });
});
