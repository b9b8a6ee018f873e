/**
 * Exemplars end to end: the live embedded service (trace export off, as by default in tests) renders
 * jobs while a real Prometheus with exemplar storage scrapes it every second over OpenMetrics. Each
 * job's trace id, as the API reports it, must come back from `query_exemplars` on the render
 * duration histogram, and the series users query must be what the 0.0.4 text shows.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { getJob, submitJob, tinyDeck, waitForStatus, type ApiJob } from '../support/jobs';
import { waitFor } from '../support/ports';
import { startPrometheus, waitForTargetsUp, type RunningPrometheus } from '../support/prometheus';
import { startService, type RunningService } from '../support/service';

interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

describe('exemplars from the live service in a real Prometheus', { timeout: 240_000 }, () => {
  let svc: RunningService | undefined;
  let prom: RunningPrometheus | undefined;
  const jobs: ApiJob[] = [];
  const startedAt = Math.floor(Date.now() / 1000) - 60;

  const exemplars = async (metric: string): Promise<ExemplarSeries[]> =>
    (await prom!.api(
      `/api/v1/query_exemplars?query=${encodeURIComponent(metric)}&start=${startedAt}&end=${Math.ceil(Date.now() / 1000) + 60}`,
    )) as ExemplarSeries[];
  const traceIdsOf = (series: ExemplarSeries[]) => new Set(series.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id)));

  beforeAll(async () => {
    svc = await startService();
    prom = await startPrometheus(
      {
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        scrape_configs: [{ job_name: 'render', metrics_path: '/api/metrics', static_configs: [{ targets: [new URL(svc.url).host] }] }],
      },
      {},
      ['--enable-feature=exemplar-storage'],
    );
    await waitForTargetsUp(prom);
    // One job at a time, each seen by Prometheus before the next: both land in the same bucket,
    // where the exposition keeps only the latest exemplar.
    for (const title of ['exemplar one', 'exemplar two']) {
      const submitted = await submitJob(svc.url, tinyDeck(title));
      assert.equal((await waitForStatus(svc.url, submitted.id, ['completed', 'failed'], 120_000)).status, 'completed');
      const job = await getJob(svc.url, submitted.id);
      jobs.push(job);
      await waitFor(
        `exemplar of ${title} in Prometheus`,
        async () => traceIdsOf(await exemplars('render_duration_seconds_bucket')).has(job.traceId ?? '-'),
        30_000,
        250,
      );
    }
  });

  afterAll(async () => {
    await prom?.stop();
    await svc?.stop();
    svc?.cleanup();
  });

  it('jobs have trace ids although trace export is off', () => {
    for (const job of jobs) assert.match(job.traceId ?? '', /^[0-9a-f]{32}$/, JSON.stringify(job));
    assert.notEqual(jobs[0].traceId, jobs[1].traceId);
  });

  it("render duration exemplars carry exactly the jobs' trace ids, on completed buckets", async () => {
    const series = await exemplars('render_duration_seconds_bucket');
    const ids = traceIdsOf(series);
    assert.deepEqual([...ids].sort(), jobs.map((j) => j.traceId).sort(), JSON.stringify(series));
    for (const s of series) {
      assert.equal(s.seriesLabels.__name__, 'render_duration_seconds_bucket');
      assert.equal(s.seriesLabels.status, 'completed');
      for (const e of s.exemplars) {
        assert.match(e.labels.span_id, /^[0-9a-f]{16}$/);
        const le = s.seriesLabels.le === '+Inf' ? Infinity : Number(s.seriesLabels.le);
        assert.ok(Number(e.value) > 0 && Number(e.value) <= le, `exemplar ${e.value} within le=${s.seriesLabels.le}`);
      }
    }
  });

  it('queue wait and stage duration exemplars point at the same traces', async () => {
    const jobIds = new Set(jobs.map((j) => j.traceId));
    for (const metric of ['render_queue_wait_seconds_bucket', 'render_stage_duration_seconds_bucket']) {
      const ids = traceIdsOf(await exemplars(metric));
      assert.ok(ids.size > 0, `${metric} has exemplars`);
      for (const id of ids) assert.ok(jobIds.has(id), `${metric} exemplar ${id} is one of the jobs`);
    }
  });

  it('http.server.request.duration exemplars of POST /api/jobs are the traces of the jobs it created', async () => {
    const series = (await exemplars('http_server_request_duration_seconds_bucket')).filter(
      (s) => s.seriesLabels.http_request_method === 'POST' && s.seriesLabels.http_route === '/api/jobs',
    );
    assert.ok(series.length > 0, 'POST /api/jobs has exemplars');
    const jobIds = new Set(jobs.map((j) => j.traceId));
    for (const id of traceIdsOf(series)) assert.ok(jobIds.has(id), `exemplar ${id} is the trace of a submitted job`);
    assert.ok(traceIdsOf(series).has(jobs[1].traceId ?? '-'), 'the latest submit is the exemplar of its bucket');
    for (const s of series) assert.equal(s.seriesLabels.http_response_status_code, '202');
  });

  it('the OpenMetrics scrape gives the series users query, with OpenMetrics metadata', async () => {
    const text = await (await fetch(`${svc!.url}/api/metrics`)).text();
    const completed = Number(/^render_jobs_total\{status="completed"\} (\S+)$/m.exec(text)?.[1]);
    assert.equal(completed, 2, 'the 0.0.4 text agrees with the jobs run');
    const value = async (expr: string) => (await prom!.query(expr))[0]?.value[1];
    await waitFor(
      'the latest scrape in Prometheus',
      async () => (await value('render_duration_seconds_count{status="completed"}')) === '2',
      20_000,
      250,
    );
    assert.equal(await value('render_jobs_total{status="completed"}'), String(completed));
    assert.equal(await value('render_duration_seconds_bucket{status="completed",le="+Inf"}'), '2');
    assert.equal(await value('sum(render_duration_seconds_bucket{status="completed",le="1800"})'), '2', 'le keeps the text spelling');
    assert.notEqual(await value('histogram_quantile(0.5, sum by (le) (rate(render_duration_seconds_bucket[1m])))'), undefined);
    assert.ok(Number(await value('system_uptime')) > 0);
    assert.equal(await value('count(target_info{service_name="render-o11y"})'), '1');
    // Declared names prove which parser ran: OpenMetrics declares the counter as `render_jobs`.
    const metadata = (await prom!.api('/api/v1/metadata')) as Record<string, { type: string; unit: string }[]>;
    assert.equal(metadata.render_jobs?.[0]?.type, 'counter', JSON.stringify(Object.keys(metadata)));
    assert.equal(metadata.render_jobs_total, undefined);
    assert.equal(metadata.target?.[0]?.type, 'info');
    assert.equal(metadata.render_duration_seconds?.[0]?.unit, 'seconds');
  });
});
