/** The API over real HTTP on the real embedded backend (SQLite in a temp dir), without a worker: jobs stay queued. */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { LIMITS } from '../shared/request';
import { startTestApi, type TestApi } from '../../test/support/api';
import { call, postJson } from '../../test/support/http';

const deck = (extra: Record<string, unknown> = {}) => ({
  title: 'API test deck',
  slides: [{ title: 'One', duration: 1 }],
  config: { width: 160, height: 120, fps: 10, quality: 'low' },
  ...extra,
});

describe('render API without a worker', { timeout: 60_000 }, () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ env: { ADMIN_TOKEN: 'admin-secret' } });
  });
  afterAll(async () => {
    await api?.close();
  });

  test('POST /api/jobs → 202, Location, public job', async () => {
    const res = await postJson(`${api.url}/api/jobs`, deck());
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('location'), `/api/jobs/${res.body.id}`);
    assert.equal(res.body.status, 'queued');
    assert.equal(res.body.slides, 1);
    assert.equal(res.body.maxAttempts, 3);
    assert.equal('request' in res.body, false);
    assert.equal('traceCarrier' in res.body, false);
    const got = await call(`${api.url}/api/jobs/${res.body.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.id, res.body.id);
  });

  test('400 VALIDATION_FAILED names every bad field', async () => {
    const res = await postJson(`${api.url}/api/jobs`, deck({ title: '', slides: [{ duration: 0 }], config: { width: 161 } }));
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'VALIDATION_FAILED');
    const paths = res.body.error.details.map((d: { path: string }) => d.path).sort();
    assert.deepEqual(paths, ['config.width', 'slides.0.duration', 'title']);
  });

  test('400 VALIDATION_FAILED for a narration voice espeak-ng does not have, before anything is queued', async () => {
    const res = await postJson(
      `${api.url}/api/jobs`,
      deck({ title: 'bad voice', slides: [{ narration: 'olá' }], config: { voice: 'zz-nope' } }),
    );
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'VALIDATION_FAILED');
    assert.deepEqual(
      res.body.error.details.map((d: { path: string }) => d.path),
      ['config.voice'],
    );
    const list = await (await fetch(`${api.url}/api/jobs?limit=100`)).json();
    assert.ok(!list.jobs.some((j: { title: string }) => j.title === 'bad voice'));
  });

  test('400 INVALID_JSON, 413 PAYLOAD_TOO_LARGE, 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const bad = await postJson(`${api.url}/api/jobs`, '{"title": ');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'INVALID_JSON');
    const huge = await postJson(`${api.url}/api/jobs`, JSON.stringify({ title: 'x'.repeat(LIMITS.maxBodyBytes + 10) }));
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, 'PAYLOAD_TOO_LARGE');
    const text = await call(`${api.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(deck()),
    });
    assert.equal(text.status, 415);
    assert.equal(text.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
  });

  test('404 for unknown routes and unknown jobs', async () => {
    const route = await call(`${api.url}/api/nothing-here`);
    assert.equal(route.status, 404);
    assert.equal(route.body.error.code, 'NOT_FOUND');
    for (const [method, suffix] of [
      ['GET', ''],
      ['DELETE', ''],
      ['POST', '/retry'],
      ['GET', '/output'],
    ]) {
      const res = await call(`${api.url}/api/jobs/no-such-job${suffix}`, { method });
      assert.equal(res.status, 404, `${method} ${suffix}`);
      assert.equal(res.body.error.code, 'JOB_NOT_FOUND');
    }
  });

  test('list: newest first, status filter, cursor paging, 400 INVALID_QUERY', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await postJson(`${api.url}/api/jobs`, deck({ title: `page ${i}` }))).body.id);
    const first = await call(`${api.url}/api/jobs?status=queued&limit=2`);
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.jobs.map((j: { id: string }) => j.id),
      [ids[2], ids[1]],
    );
    assert.ok(first.body.nextCursor);
    const second = await call(`${api.url}/api/jobs?status=queued&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    assert.equal(second.body.jobs[0].id, ids[0]);
    assert.equal((await call(`${api.url}/api/jobs?status=completed`)).body.jobs.length, 0);
    for (const q of ['status=done', 'limit=0', 'limit=101', 'limit=abc', 'colour=red']) {
      const res = await call(`${api.url}/api/jobs?${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.body.error.code, 'INVALID_QUERY', q);
    }
    const forged = await call(`${api.url}/api/jobs?cursor=forged`);
    assert.equal(forged.status, 400);
  });

  test('cancel a queued job → 200 cancelled; again → 409; retry → 202 queued; retry again → 409', async () => {
    const { body: job } = await postJson(`${api.url}/api/jobs`, deck());
    const cancelled = await call(`${api.url}/api/jobs/${job.id}`, { method: 'DELETE' });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.ok(cancelled.body.finishedAt);
    assert.equal((await api.backend.counts()).waiting, (await api.backend.store.list({ status: 'queued', limit: 100 })).jobs.length);
    const again = await call(`${api.url}/api/jobs/${job.id}`, { method: 'DELETE' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'JOB_ALREADY_FINISHED');
    const output = await call(`${api.url}/api/jobs/${job.id}/output`);
    assert.equal(output.status, 409);
    assert.equal(output.body.error.code, 'JOB_NOT_COMPLETED');
    const retried = await call(`${api.url}/api/jobs/${job.id}/retry`, { method: 'POST' });
    assert.equal(retried.status, 202);
    assert.equal(retried.body.status, 'queued');
    assert.equal(retried.body.finishedAt, null);
    const twice = await call(`${api.url}/api/jobs/${job.id}/retry`, { method: 'POST' });
    assert.equal(twice.status, 409);
    assert.equal(twice.body.error.code, 'JOB_NOT_RETRYABLE');
  });

  test('admin summary: 401 without the token, counts with it, 400 on a bad range', async () => {
    const denied = await call(`${api.url}/api/admin/summary`);
    assert.equal(denied.status, 401);
    assert.equal(denied.body.error.code, 'UNAUTHORIZED');
    const wrong = await call(`${api.url}/api/admin/summary`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    const auth = { authorization: 'Bearer admin-secret' };
    const ok = await call(`${api.url}/api/admin/summary?range=1h`, { headers: auth });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.range, '1h');
    assert.equal(ok.body.backend, 'embedded');
    const listed = await api.backend.store.createdSince(Date.now() - 3_600_000);
    assert.equal(ok.body.totals.total, listed.length);
    assert.ok(ok.body.totals.total >= 1);
    assert.equal(ok.body.service.queueReachable, true);
    const bad = await call(`${api.url}/api/admin/summary?range=2y`, { headers: auth });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'INVALID_QUERY');
  });

  test('healthz, readyz and the metrics endpoint answer', async () => {
    assert.deepEqual((await call(`${api.url}/healthz`)).body, { status: 'ok' });
    const ready = await call(`${api.url}/readyz`);
    assert.equal(ready.status, 200);
    const metrics = await call(`${api.url}/api/metrics`);
    assert.equal(metrics.status, 200);
  });
});

// Its own API: it closes the backend under the running server, so it cannot share one with other tests.
test('a closed backend: readyz 503 with a reason, submit 503 QUEUE_UNAVAILABLE', { timeout: 60_000 }, async () => {
  const api = await startTestApi();
  try {
    await api.backend.close();
    const ready = await call(`${api.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(ready.body.status, 'unavailable');
    assert.ok(ready.body.reason.length > 0);
    const submit = await postJson(`${api.url}/api/jobs`, deck());
    assert.equal(submit.status, 503);
    assert.equal(submit.body.error.code, 'QUEUE_UNAVAILABLE');
    assert.equal((await call(`${api.url}/healthz`)).status, 200);
  } finally {
    await api.close();
  }
});
