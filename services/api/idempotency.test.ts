/**
 * Idempotency-Key as the IETF draft has it, against the real API on both backends: the same key
 * and body return the first job; another body under the key is 422 IDEMPOTENCY_KEY_REUSED; a repeat
 * while the first request is still in flight is 409 IDEMPOTENCY_KEY_IN_USE.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { tinyDeck } from '../../test/support/jobs';
import { ANONYMOUS_CLIENT } from '../shared/job';
import { parseRenderRequest } from '../shared/request';
import { IDEMPOTENCY_TTL_MS, requestFingerprint } from './idempotency';
import { startTestApi, type TestApi } from '../../test/support/api';
import { postJson } from '../../test/support/http';

const backends: Record<string, Record<string, string>> = {
  embedded: {},
  bullmq: { REDIS_URL: process.env.REDIS_TEST_URL ?? '', RENDER_QUEUE_NAME: `idem-${process.pid}` },
};

describe('request fingerprint', () => {
  test('the same deck in another key order, or with its defaults spelled out, is the same request; any change is not', () => {
    const fp = (body: unknown) => {
      const parsed = parseRenderRequest(body);
      assert.ok(parsed.ok);
      return requestFingerprint(parsed.request);
    };
    const deck = tinyDeck('fp');
    const reordered = { config: deck.config, slides: deck.slides, title: deck.title };
    const withDefaults = { ...deck, config: { ...deck.config, voice: 'pt-br' } };
    assert.equal(fp(reordered), fp(deck));
    assert.equal(fp(withDefaults), fp(deck));
    assert.notEqual(fp({ ...deck, title: 'fp2' }), fp(deck));
    assert.notEqual(fp({ ...deck, slides: [...deck.slides].reverse() }), fp(deck));
    assert.match(fp(deck), /^sha256:[0-9a-f]{64}$/);
  });
});

for (const [kind, env] of Object.entries(backends)) {
  describe(`Idempotency-Key: ${kind}`, () => {
    let api: TestApi;
    beforeAll(async () => {
      if (kind === 'bullmq') assert.ok(env.REDIS_URL, 'REDIS_TEST_URL is not set: run through scripts/with-redis.sh');
      api = await startTestApi({ env });
    });
    afterAll(() => api?.close());

    test('same key and body: the first job; another body: 422 IDEMPOTENCY_KEY_REUSED, and no job is made', async () => {
      const key = { 'idempotency-key': `order-${kind}` };
      const first = await postJson(`${api.url}/api/jobs`, tinyDeck('order'), key);
      assert.equal(first.status, 202);
      // Whitespace and key order do not make another request.
      const spaced = JSON.stringify({ config: tinyDeck().config, title: 'order', slides: tinyDeck().slides }, null, 2);
      const again = await postJson(`${api.url}/api/jobs`, spaced, key);
      assert.equal(again.status, 200);
      assert.equal(again.body.id, first.body.id);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      const other = await postJson(`${api.url}/api/jobs`, tinyDeck('another order'), key);
      assert.equal(other.status, 422);
      assert.equal(other.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
      const list = await (await fetch(`${api.url}/api/jobs?limit=100`)).json();
      assert.deepEqual(
        (list as { jobs: { title: string }[] }).jobs.filter((j) => j.title === 'another order'),
        [],
        'the refused repeat created nothing',
      );
      // The key still names the first job afterwards.
      assert.equal((await postJson(`${api.url}/api/jobs`, tinyDeck('order'), key)).body.id, first.body.id);
    });

    test('a repeat while the first request is still in flight: 409 IDEMPOTENCY_KEY_IN_USE', async () => {
      const deck = tinyDeck('in flight');
      const parsed = parseRenderRequest(deck);
      assert.ok(parsed.ok);
      // The first request has claimed the key and not stored its job yet (the moment between the two).
      const claimed = await api.backend.store.claimIdempotencyKey(
        ANONYMOUS_CLIENT,
        `busy-${kind}`,
        'job-being-created',
        IDEMPOTENCY_TTL_MS,
        requestFingerprint(parsed.request),
      );
      assert.equal(claimed, null);
      const repeat = await postJson(`${api.url}/api/jobs`, deck, { 'idempotency-key': `busy-${kind}` });
      assert.equal(repeat.status, 409);
      assert.equal(repeat.body.error.code, 'IDEMPOTENCY_KEY_IN_USE');
    });
  });
}
