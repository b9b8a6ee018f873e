/** API keys, ownership, limits and idempotent submissions against the real API (embedded backend, no worker: jobs stay queued). */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { call, postJson, startTestApi, type TestApi } from './test-helpers';

const deck = { title: 'd', slides: [{ title: 'a', duration: 1 }], config: { width: 160, height: 90, fps: 5, quality: 'low' } };
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe('two clients with API keys', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({
      worker: false,
      env: { RENDER_API_KEYS: 'alice:alice-token-1,bob:bob-token-2', ADMIN_TOKEN: 'admin-token', RENDER_SUBMIT_RATE_PER_MINUTE: '5' },
    });
  });
  afterAll(async () => api?.close());

  test('no token, a wrong token or a malformed header is 401 UNAUTHORIZED on every /api/jobs route; health stays open', async () => {
    for (const headers of [{}, auth('nope'), { authorization: 'Basic YWxpY2U6eA==' }, { authorization: 'Bearer' }]) {
      for (const [method, p] of [
        ['GET', '/api/jobs'],
        ['POST', '/api/jobs'],
        ['GET', '/api/jobs/x'],
        ['DELETE', '/api/jobs/x'],
        ['POST', '/api/jobs/x/retry'],
        ['GET', '/api/jobs/x/output'],
      ]) {
        const r = await call(`${api.url}${p}`, {
          method,
          headers: { 'content-type': 'application/json', ...headers },
          body: method === 'POST' ? '{}' : undefined,
        });
        assert.equal(r.status, 401, `${method} ${p}`);
        assert.equal(r.body.error.code, 'UNAUTHORIZED');
        assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
      }
    }
    assert.equal((await call(`${api.url}/healthz`)).status, 200);
    assert.equal((await call(`${api.url}/readyz`)).status, 200);
  });

  test("bob gets 404 for alice's job on GET, output, DELETE and retry, and his list excludes it", async () => {
    const { status, body: job } = await postJson(`${api.url}/api/jobs`, deck, auth('alice-token-1'));
    assert.equal(status, 202);
    assert.ok(!('client' in job), 'the owner is not part of the public job');
    for (const [method, p] of [
      ['GET', `/api/jobs/${job.id}`],
      ['GET', `/api/jobs/${job.id}/output`],
      ['DELETE', `/api/jobs/${job.id}`],
      ['POST', `/api/jobs/${job.id}/retry`],
    ]) {
      const r = await call(`${api.url}${p}`, { method, headers: auth('bob-token-2') });
      assert.equal(r.status, 404, `${method} ${p}`);
      assert.equal(r.body.error.code, 'JOB_NOT_FOUND');
    }
    const bobs = await call(`${api.url}/api/jobs`, { headers: auth('bob-token-2') });
    assert.equal(bobs.status, 200);
    assert.ok(!bobs.body.jobs.some((j: { id: string }) => j.id === job.id));
    const alices = await call(`${api.url}/api/jobs?status=queued`, { headers: auth('alice-token-1') });
    assert.ok(alices.body.jobs.some((j: { id: string }) => j.id === job.id));
    // Still alice's, untouched: bob's DELETE did nothing.
    const mine = await call(`${api.url}/api/jobs/${job.id}`, { headers: auth('alice-token-1') });
    assert.equal(mine.body.status, 'queued');
    const cancelled = await call(`${api.url}/api/jobs/${job.id}`, { method: 'DELETE', headers: auth('alice-token-1') });
    assert.equal(cancelled.body.status, 'cancelled');
  });

  test('the same Idempotency-Key from the same client returns the one job; another client gets its own', async () => {
    const headers = { ...auth('alice-token-1'), 'idempotency-key': 'order-42' };
    const first = await postJson(`${api.url}/api/jobs`, deck, headers);
    const again = await postJson(`${api.url}/api/jobs`, deck, headers);
    assert.equal(first.status, 202);
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    const bob = await postJson(`${api.url}/api/jobs`, deck, { ...auth('bob-token-2'), 'idempotency-key': 'order-42' });
    assert.equal(bob.status, 202);
    assert.notEqual(bob.body.id, first.body.id);
    const bad = await postJson(`${api.url}/api/jobs`, deck, { ...auth('bob-token-2'), 'idempotency-key': 'has space' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'INVALID_IDEMPOTENCY_KEY');
  });

  test('over RENDER_SUBMIT_RATE_PER_MINUTE alice gets 429 RATE_LIMITED with Retry-After while bob can still submit', async () => {
    // Alice used 3 of her 5 in the tests above; submit until refused.
    let refused: Awaited<ReturnType<typeof postJson>> | null = null;
    let accepted = 0;
    for (let i = 0; i < 10 && !refused; i++) {
      const r = await postJson(`${api.url}/api/jobs`, deck, auth('alice-token-1'));
      if (r.status === 429) refused = r;
      else accepted++;
    }
    assert.ok(refused, 'alice was never limited');
    assert.equal(accepted, 2, 'five submissions a minute, three already used');
    assert.equal(refused.body.error.code, 'RATE_LIMITED');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    const bob = await postJson(`${api.url}/api/jobs`, deck, auth('bob-token-2'));
    assert.equal(bob.status, 202);
  });
});

describe('caps on queued work', () => {
  test('a client over RENDER_MAX_ACTIVE_JOBS_PER_CLIENT gets 429 TOO_MANY_ACTIVE_JOBS; a full queue is 503 QUEUE_FULL', async () => {
    const api = await startTestApi({
      worker: false,
      env: {
        RENDER_MAX_ACTIVE_JOBS_PER_CLIENT: '2',
        RENDER_MAX_QUEUED_JOBS: '3',
        RENDER_API_KEYS: 'a:ta,b:tb',
        ADMIN_TOKEN: 'admin-token',
      },
    });
    try {
      assert.equal((await postJson(`${api.url}/api/jobs`, deck, auth('ta'))).status, 202);
      assert.equal((await postJson(`${api.url}/api/jobs`, deck, auth('ta'))).status, 202);
      const over = await postJson(`${api.url}/api/jobs`, deck, auth('ta'));
      assert.equal(over.status, 429);
      assert.equal(over.body.error.code, 'TOO_MANY_ACTIVE_JOBS');
      assert.ok(over.headers.get('retry-after'));
      assert.equal((await postJson(`${api.url}/api/jobs`, deck, auth('tb'))).status, 202);
      const full = await postJson(`${api.url}/api/jobs`, deck, auth('tb'));
      assert.equal(full.status, 503);
      assert.equal(full.body.error.code, 'QUEUE_FULL');
      assert.ok(full.headers.get('retry-after'));
      // A refused submission leaves its Idempotency-Key free: the retry after room is made creates the job.
      const keyed = { ...auth('tb'), 'idempotency-key': 'after-full' };
      assert.equal((await postJson(`${api.url}/api/jobs`, deck, keyed)).status, 503);
      // A cancelled job no longer counts against its client, nor as waiting.
      const list = await call(`${api.url}/api/jobs`, { headers: auth('ta') });
      await call(`${api.url}/api/jobs/${list.body.jobs[0].id}`, { method: 'DELETE', headers: auth('ta') });
      const retried = await postJson(`${api.url}/api/jobs`, deck, keyed);
      assert.equal(retried.status, 202);
      const again = await postJson(`${api.url}/api/jobs`, deck, keyed);
      assert.equal(again.status, 200);
      assert.equal(again.body.id, retried.body.id);
    } finally {
      await api.close();
    }
  });
});

describe('the keys file', () => {
  test('holds tokens or their SHA-256, and a rewrite rotates keys without a restart', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'render-keys-'));
    const file = path.join(dir, 'keys');
    const hashed = createHash('sha256').update('carol-secret').digest('hex');
    writeFileSync(file, `# clients\nalice:old-token\ncarol:sha256:${hashed}\n`);
    const api = await startTestApi({ worker: false, env: { RENDER_API_KEYS_FILE: file, ADMIN_TOKEN: 'admin-token' } });
    const status = async (token: string) => (await call(`${api.url}/api/jobs`, { headers: auth(token) })).status;
    try {
      assert.equal(await status('old-token'), 200);
      assert.equal(await status('carol-secret'), 200);
      assert.equal(await status(`sha256:${hashed}`), 401, 'the digest itself is not a token');
      // Rotation step 1: old and new together.
      writeFileSync(file, `alice:old-token\nalice:new-token\ncarol:sha256:${hashed}\n`);
      await until(async () => (await status('new-token')) === 200);
      assert.equal(await status('old-token'), 200);
      // Step 2: the old one removed.
      writeFileSync(file, `alice:new-token\n`);
      await until(async () => (await status('old-token')) === 401);
      assert.equal(await status('new-token'), 200);
      assert.equal(await status('carol-secret'), 401);
    } finally {
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 100));
  }
}
