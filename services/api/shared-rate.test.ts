/**
 * In the Redis layout the per-client submission rate is one budget for every API process: two APIs
 * on one queue, RENDER_SUBMIT_RATE_PER_MINUTE=3, submissions alternating between them: the fourth
 * is 429 RATE_LIMITED on whichever API it reaches. (The embedded layout has one API process.)
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { tinyDeck } from '../../test/support/jobs';
import { postJson, startTestApi, type TestApi } from './test-helpers';

describe('submission rate across API processes (Redis)', () => {
  const apis: TestApi[] = [];
  beforeAll(async () => {
    const redis = process.env.REDIS_TEST_URL;
    assert.ok(redis, 'REDIS_TEST_URL is not set: run through scripts/with-redis.sh');
    const env = { REDIS_URL: redis, RENDER_QUEUE_NAME: `rate-${process.pid}-${Date.now()}`, RENDER_SUBMIT_RATE_PER_MINUTE: '3' };
    apis.push(await startTestApi({ worker: false, env }), await startTestApi({ worker: false, env }));
  });
  afterAll(async () => {
    await Promise.all(apis.map((a) => a.close()));
  });

  test('two APIs share one budget per client', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await postJson(`${apis[i % 2].url}/api/jobs`, tinyDeck(`rate ${i}`))).status);
    assert.deepEqual(statuses, [202, 202, 202, 429, 429], 'three a minute in all, not three per process');
    const limited = await postJson(`${apis[1].url}/api/jobs`, tinyDeck('rate again'));
    assert.equal(limited.body.error.code, 'RATE_LIMITED');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  });
});
