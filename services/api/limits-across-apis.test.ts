/**
 * Limits across API processes in the Redis layout (two APIs on one queue): the per-client submission
 * rate is one budget (RENDER_SUBMIT_RATE_PER_MINUTE=3: the fourth submission is 429 on whichever API
 * it reaches), and the active-job cap is checked and taken as one step (RENDER_MAX_ACTIVE_JOBS_PER_CLIENT=2:
 * of 12 concurrent submissions spread over both APIs exactly 2 are accepted). The embedded layout
 * has one API process; its cap is one step through an in-process lock (the same test, one API).
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { tinyDeck } from '../../test/support/jobs';
import { startTestApi, type TestApi } from '../../test/support/api';
import { postJson } from '../../test/support/http';

describe('submission rate across API processes (Redis)', () => {
  const apis: TestApi[] = [];
  beforeAll(async () => {
    const redis = process.env.REDIS_TEST_URL;
    assert.ok(redis, 'REDIS_TEST_URL is not set: run through scripts/with-redis.sh');
    const env = { REDIS_URL: redis, RENDER_QUEUE_NAME: `rate-${process.pid}-${Date.now()}`, RENDER_SUBMIT_RATE_PER_MINUTE: '3' };
    apis.push(await startTestApi({ env }), await startTestApi({ env }));
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

for (const layout of ['bullmq', 'embedded'] as const) {
  describe(`the active-job cap is one step: ${layout}`, () => {
    const apis: TestApi[] = [];
    beforeAll(async () => {
      const env: Record<string, string> = { RENDER_MAX_ACTIVE_JOBS_PER_CLIENT: '2' };
      if (layout === 'bullmq') {
        assert.ok(process.env.REDIS_TEST_URL, 'REDIS_TEST_URL is not set: run through scripts/with-redis.sh');
        Object.assign(env, { REDIS_URL: process.env.REDIS_TEST_URL, RENDER_QUEUE_NAME: `cap-${process.pid}-${Date.now()}` });
        apis.push(await startTestApi({ env }), await startTestApi({ env }));
      } else {
        apis.push(await startTestApi({ env }));
      }
    });
    afterAll(async () => {
      await Promise.all(apis.map((a) => a.close()));
    });

    test('12 concurrent submissions for a cap of 2: exactly 2 accepted', async () => {
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => postJson(`${apis[i % apis.length].url}/api/jobs`, tinyDeck(`cap ${i}`))),
      );
      const statuses = answers.map((a) => a.status).sort();
      assert.deepEqual(statuses, [202, 202, ...Array(10).fill(429)]);
      assert.ok(answers.filter((a) => a.status === 429).every((a) => a.body.error.code === 'TOO_MANY_ACTIVE_JOBS'));
    });
  });
}
