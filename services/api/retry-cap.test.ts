/**
 * A user's retry makes a cancelled or failed job active again, so it takes a place under
 * RENDER_MAX_ACTIVE_JOBS_PER_CLIENT through the same per-client lock as a submission: with a cap
 * of 2 and six cancelled jobs, six concurrent retries plus six concurrent submissions spread over
 * two API processes (Redis layout; one in the embedded layout) are exactly 2 accepted.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { tinyDeck } from '../../test/support/jobs';
import { startTestApi, type TestApi } from '../../test/support/api';
import { call, postJson } from '../../test/support/http';

const CAP = 2;

for (const layout of ['bullmq', 'embedded'] as const) {
  describe(`retries share the active-job cap with submissions: ${layout}`, () => {
    const apis: TestApi[] = [];
    beforeAll(async () => {
      const env: Record<string, string> = { RENDER_MAX_ACTIVE_JOBS_PER_CLIENT: String(CAP) };
      if (layout === 'bullmq') {
        assert.ok(process.env.REDIS_TEST_URL, 'REDIS_TEST_URL is not set: run through scripts/with-redis.sh');
        Object.assign(env, { REDIS_URL: process.env.REDIS_TEST_URL, RENDER_QUEUE_NAME: `retry-cap-${process.pid}-${Date.now()}` });
        apis.push(await startTestApi({ env }), await startTestApi({ env }));
      } else {
        apis.push(await startTestApi({ env }));
      }
    });
    afterAll(async () => {
      await Promise.all(apis.map((a) => a.close()));
    });

    test('6 retries and 6 submissions at once for a cap of 2: exactly 2 accepted', { timeout: 30_000 }, async () => {
      // No worker runs: submitted jobs stay queued until cancelled, so each batch frees its places.
      const cancelled: string[] = [];
      for (let batch = 0; batch < 3; batch++) {
        for (let i = 0; i < CAP; i++) {
          const submitted = await postJson(`${apis[i % apis.length].url}/api/jobs`, tinyDeck(`retry cap ${batch}.${i}`));
          assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
          const gone = await call(`${apis[0].url}/api/jobs/${submitted.body.id}`, { method: 'DELETE' });
          assert.equal(gone.body.status, 'cancelled');
          cancelled.push(submitted.body.id);
        }
      }
      const url = (i: number) => apis[i % apis.length].url;
      const answers = await Promise.all([
        ...cancelled.map((id, i) => call(`${url(i)}/api/jobs/${id}/retry`, { method: 'POST' })),
        ...cancelled.map((_, i) => postJson(`${url(i + 1)}/api/jobs`, tinyDeck(`retry cap new ${i}`))),
      ]);
      const statuses = answers.map((a) => a.status).sort();
      assert.deepEqual(statuses, [202, 202, ...Array(10).fill(429)], JSON.stringify(answers.map((a) => a.body)));
      assert.ok(answers.filter((a) => a.status === 429).every((a) => a.body.error.code === 'TOO_MANY_ACTIVE_JOBS'));
      const queued = await call(`${apis[apis.length - 1].url}/api/jobs?status=queued&limit=50`);
      assert.equal(queued.body.jobs.length, CAP, 'the store holds as many active jobs as the cap');
    });
  });
}
