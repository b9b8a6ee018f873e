/**
 * The fallback page, the summary and the alerts use one SLO rule: with a live worker the page is
 * green while jobs fail only on their own input (30 ASSET_INVALID), and not green while service
 * failures burn the budget as RenderSLOBurnRate would (prometheus/tests/errors.yml shows the alert
 * side of the same two cases; prometheus/slo-rules.test.ts holds the rules to the same table).
 */
import { afterEach, beforeEach, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ErrorCategory } from '../../services/shared/errors';
import { newJobRecord, type JobRecord } from '../../services/shared/job';
import { renderRequestSchema } from '../../services/shared/request';
import { sloStatus } from '../../services/shared/slo';
import { startTestService, type TestApi } from '../support/embedded';
import { call } from '../support/http';

const request = renderRequestSchema.parse({ title: 'slo', slides: [{ title: 'a', duration: 1 }] });

/** A job that finished a minute ago: completed, or failed with `code` in `category`. */
function finished(outcome: 'completed' | { code: string; category: ErrorCategory }): JobRecord {
  const now = Date.now();
  const base = newJobRecord(randomUUID(), request, 1, new Date(now - 120_000));
  const finishedAt = new Date(now - 60_000).toISOString();
  if (outcome === 'completed') return { ...base, status: 'completed', finishedAt, durationSeconds: 60 };
  return {
    ...base,
    status: 'failed',
    finishedAt,
    durationSeconds: 60,
    error: { code: outcome.code, category: outcome.category, message: 'x', retryable: false },
  };
}

async function pageState(api: TestApi): Promise<string> {
  const page = (await call(`${api.url}/admin/metrics`)).body as string;
  return /data-testid="service-state" data-value="([a-z]+)"/.exec(page)?.[1] ?? 'none';
}

/** Waits until the worker of the embedded process has heartbeated (the page needs a fresh worker to be green). */
async function workerSeen(api: TestApi): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await api.backend.workers()).length === 0) {
    if (Date.now() > deadline) throw new Error('no worker heartbeat');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('one SLO rule for the page, the summary and the alerts', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestService();
    await workerSeen(api);
  });
  afterEach(() => api.close());

  test('30 jobs failing only with ASSET_INVALID: no burn, the page stays green', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 30; i++) await api.backend.store.create(finished({ code: 'ASSET_INVALID', category: 'validation' }));
    const summary = (await call(`${api.url}/api/admin/summary?range=1h`)).body;
    assert.equal(summary.totals.failed, 30);
    assert.equal(summary.slo.burning, false);
    assert.equal(summary.slo.burnRates[0].longErrorRatio, null, 'no job counts: no ratio, as the rules have no sample');
    assert.equal(await pageState(api), 'ok');
  });

  test('service failures over the fast-burn threshold: the summary burns and the page is not green', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 16; i++) await api.backend.store.create(finished('completed'));
    for (let i = 0; i < 4; i++) await api.backend.store.create(finished({ code: 'FFMPEG_FAILED', category: 'ffmpeg' }));
    // And validation failures, which change nothing: 4 of 20 counted jobs (20%) failed through the service.
    for (let i = 0; i < 10; i++) await api.backend.store.create(finished({ code: 'ASSET_INVALID', category: 'validation' }));
    const summary = (await call(`${api.url}/api/admin/summary?range=1h`)).body;
    assert.equal(summary.slo.burning, true);
    const fast = summary.slo.burnRates.find((b: { long: string }) => b.long === '1h');
    assert.equal(fast.longErrorRatio, 0.2);
    assert.equal(fast.burning, true);
    assert.equal(await pageState(api), 'degraded');
    const page = (await call(`${api.url}/admin/metrics`)).body as string;
    assert.match(page, /data-testid="slo-burning"[^>]*>[^<]*14\.4× 1h\/5m/);
  });
});

describe('sloStatus', () => {
  test('a pair burns only when both its windows are over factor × budget', () => {
    const none = { completed: 0, serviceFailures: 0 };
    const counts = { '5m': none, '30m': none, '1h': none, '2h': none, '6h': none, '1d': none, '3d': none };
    assert.equal(sloStatus({ ...counts, '1h': { completed: 80, serviceFailures: 20 } }).burning, false, 'the short window is empty');
    const both = sloStatus({ ...counts, '1h': { completed: 80, serviceFailures: 20 }, '5m': { completed: 8, serviceFailures: 2 } });
    assert.deepEqual(
      both.burnRates.filter((b) => b.burning).map((b) => b.long),
      ['1h'],
    );
    assert.equal(
      sloStatus({ ...counts, '1h': { completed: 86, serviceFailures: 14 }, '5m': { completed: 86, serviceFailures: 14 } }).burning,
      false,
      '14% < 14.4%',
    );
  });
});
