/**
 * The live embedded service's `/api/metrics` after real renders: the exact series users scrape,
 * promtool's verdict on the live exposition, and a real Prometheus scraping it every second.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { promtoolCheckMetrics } from '../../instrumentation/promtool';
import { submitJob, tinyDeck, waitForStatus } from '../support/jobs';
import { freePort, waitFor } from '../support/ports';
import { startPrometheus, waitForTargetsUp, type RunningPrometheus } from '../support/prometheus';
import { startService, type RunningService } from '../support/service';

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Prometheus scrape of the live service', { timeout: 240_000 }, () => {
  let svc: RunningService | undefined;
  let prom: RunningPrometheus | undefined;
  let exposition = '';

  beforeAll(async () => {
    svc = await startService({ env: { RENDER_BACKOFF_MS: '100' } });
    const closed = await freePort();
    const ok1 = await submitJob(svc.url, tinyDeck('scrape one'));
    const ok2 = await submitJob(svc.url, tinyDeck('scrape two'));
    const broken = tinyDeck('scrape broken', 1, 1);
    (broken.slides[0] as Record<string, unknown>).audioUrl = `http://127.0.0.1:${closed}/narration.mp3`;
    const bad = await submitJob(svc.url, broken);
    assert.equal((await waitForStatus(svc.url, ok1.id, ['completed', 'failed'], 120_000)).status, 'completed');
    assert.equal((await waitForStatus(svc.url, ok2.id, ['completed', 'failed'], 120_000)).status, 'completed');
    const failed = await waitForStatus(svc.url, bad.id, ['completed', 'failed'], 60_000);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.category, 'network');
    assert.equal(failed.attempts, 3, 'the embedded default retries a network error twice');
    exposition = await (await fetch(`${svc.url}/api/metrics`)).text();
  });

  afterAll(async () => {
    await prom?.stop();
    await svc?.stop();
    svc?.cleanup();
  });

  it('shows the job, error and duration series users query', () => {
    assert.equal(sample(exposition, 'render_jobs_total{status="completed"}'), 2, exposition);
    assert.equal(sample(exposition, 'render_jobs_total{status="failed"}'), 1);
    assert.equal(sample(exposition, 'render_errors_total{category="network"}'), 1);
    for (const le of ['1', '5', '10', '30', '60', '120', '300', '600', '1800', '+Inf']) {
      assert.notEqual(sample(exposition, `render_duration_seconds_bucket{status="completed",le="${le}"}`), undefined, `le=${le}`);
    }
    assert.equal(sample(exposition, 'render_duration_seconds_count{status="completed"}'), 2);
    assert.equal(sample(exposition, 'render_duration_seconds_bucket{status="completed",le="+Inf"}'), 2);
    assert.equal(sample(exposition, 'render_duration_seconds_count{status="failed"}'), 1);
    for (const state of ['waiting', 'active', 'delayed'])
      assert.notEqual(sample(exposition, `render_queue_size{state="${state}"}`), undefined, state);
    assert.ok((sample(exposition, 'system_memory_usage{type="rss"}') ?? 0) > 0);
    assert.ok((sample(exposition, 'system_uptime') ?? 0) > 0);
    assert.doesNotMatch(exposition, /render_job_id|job_id=/, 'no job ids as labels');
  });

  it('the live exposition passes promtool check metrics', { timeout: 20_000 }, () => {
    const r = promtoolCheckMetrics(exposition);
    assert.equal(r.status, 0, r.output);
  });

  it('JSON gives the same values', async () => {
    const json = (await (await fetch(`${svc!.url}/api/metrics?format=json`)).json()) as {
      metrics: { name: string; samples: { labels: Record<string, string>; value?: number }[] }[];
    };
    const jobs = json.metrics.find((m) => m.name === 'render_jobs_total');
    assert.equal(jobs?.samples.find((s) => s.labels.status === 'completed')?.value, 2);
    assert.equal(jobs?.samples.find((s) => s.labels.status === 'failed')?.value, 1);
  });

  it('a real Prometheus scrapes it and answers the query', { timeout: 60_000 }, async () => {
    const target = new URL(svc!.url).host;
    prom = await startPrometheus({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: [{ job_name: 'render', metrics_path: '/api/metrics', static_configs: [{ targets: [target] }] }],
    });
    await waitForTargetsUp(prom);
    let value = '';
    await waitFor(
      'render_jobs_total{status="completed"} in Prometheus',
      async () => {
        const result = await prom!.query('render_jobs_total{status="completed"}');
        value = result[0]?.value[1] ?? '';
        return value !== '';
      },
      20_000,
      250,
    );
    assert.equal(value, '2');
    const failed = await prom!.query('sum(render_errors_total{category="network"})');
    assert.equal(failed[0]?.value[1], '1');
  });
});
