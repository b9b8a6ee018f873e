/**
 * The generated dashboards and the committed rules against real data: the embedded service runs
 * real jobs (some complete, some fail), a real Prometheus (Debian's) scrapes it every second and
 * evaluates the committed recording and alert rules, and every PromQL query of every dashboard
 * (with Grafana's variables substituted) must run without error. The overview's panels and the
 * alert expressions built on the app's own series must return data from the live service.
 *
 * Series that only the OpenTelemetry Collector or Tempo would produce (span metrics, service graph,
 * exporter failures and queues, tail sampling), plus two gauges this host cannot give (free disk
 * bytes, added by another change, and cgroup v2 OOM kills), are SYNTHETIC: served by
 * test/support/synthetic-series.ts to the same Prometheus. A real Alertmanager and Prometheus's
 * own metrics provide the alerting pipeline's series.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { allDashboards } from '../../grafana/dashboards';
import { substitute, targetsOf, type PanelTarget, type VariableValues } from '../../grafana/lib/targets';
import { loopbackAlertmanagerConfig } from '../../prometheus/alertmanager-config';
import { ALERTS_FILE, alertRules, RECORDING_FILE } from '../../prometheus/runbooks';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager';
import { submitJob, tinyDeck, waitForStatus } from '../support/jobs';
import { freePort, waitFor } from '../support/ports';
import { startPrometheus, waitForTargetsUp, type RunningPrometheus } from '../support/prometheus';
import { startService, type RunningService } from '../support/service';
import { startSyntheticSeries, type SyntheticSeries } from '../support/synthetic-series';

/** Overview panels that must show data once jobs have run (first query of each). */
const MUST_HAVE_DATA = [
  'Submitted',
  'Completed',
  'Failed',
  'Throughput by outcome',
  'Render duration (mean, p50, p95, p99)',
  'Render duration p95 by outcome',
  'Average render duration',
  'Queue size by state',
  'Oldest waiting job age',
  'Waiting jobs',
  'Jobs in progress',
  'Errors by category',
  'Errors by category (time range)',
  'Process memory',
  'Uptime',
  'Event-loop delay p99',
  'Success rate (SLO 99%)',
  // The first row and the panels added with the API histogram, build info and process memory.
  'Firing alerts',
  'Error budget left (30d)',
  'Burn rate (1h)',
  'API 5xx ratio',
  'Queue wait p95',
  'Workers alive',
  'Burn rate',
  'API requests by status',
  'API latency p95',
  'Success rate vs SLO',
  'Throughput by outcome',
  'Memory vs limit',
  'Overdue jobs',
  'Versions',
  'Job progress updates',
];

/** Panels of the pipeline dashboard that must return data: collector and Tempo ones from the SYNTHETIC series, the rest real. */
const PIPELINE_MUST_HAVE_DATA = [
  'Spans accepted / refused by receivers',
  'Spans sent / failed by exporters',
  'Metric points accepted / sent / failed',
  'Exporter queue fill',
  'Items dropped or refused by processors',
  'Tail sampling decisions',
  'Late span age (p95, max bucket)',
  'Span-derived request rate by service',
  'Service graph edges',
  'Tempo spans received',
  'Scrape targets up',
  'Rule evaluation failures',
  'TSDB head series',
  'Alertmanager notifications',
  'Alertmanager alerts by state',
];

/**
 * The signals behind the new alerts, over the live service's own series: each must return data
 * (the alert itself stays silent on a healthy service, which is checked too).
 */
const APP_SIGNALS: [alert: string, expr: string][] = [
  ['RenderApiDown', 'up{job="render-api"} == 1'],
  ['RenderApiErrorsHigh', 'render:http_errors:ratio_rate5m'],
  ['RenderApiErrorsHigh', 'sum(render:http_requests:rate5m)'],
  ['RenderApiLatencyHigh', 'render:http_request_duration_seconds:p95_rate5m'],
  ['RenderSLOBurnRate', 'render:job_errors:ratio_rate5m'],
  ['RenderSLOBurnRate', 'render:job_errors:ratio_rate1h'],
  ['RenderSLOBurnRate', 'render:job_errors:ratio_rate3d'],
  ['RenderQueueStalled', 'render:queue_size:max{state="waiting"}'],
  ['RenderQueueStalled', 'render:jobs_finished:rate10m'],
  ['RenderQueueStalled', 'render:job_progress_updates:rate10m'],
  ['RenderJobHung', 'max by (job, instance) (render_jobs_overdue)'],
  ['RenderMemoryNearLimit', 'max by (job, instance) (render_memory_usage_bytes) / max by (job, instance) (render_memory_limit_bytes)'],
  ['RenderProcessRestarting', 'sum by (job, instance) (resets(system_uptime[15m]))'],
  ['RenderErrorSpike', 'render:errors:rate5m'],
];

/** Alerts whose whole expression (not only its inputs) must match the SYNTHETIC series, which are built to trip them. */
const SYNTHETIC_FIRING = ['OtelCollectorExportFailing', 'OtelCollectorQueueFull', 'RenderStorageFillingUp', 'RenderOOMKilled'];

/** Alerts whose inputs come from the real Alertmanager and Prometheus. */
const PIPELINE_SIGNALS: [alert: string, expr: string][] = [
  ['AlertmanagerNotificationsFailing', 'sum by (job, instance, integration) (rate(alertmanager_notifications_total[5m]))'],
  ['PrometheusRuleEvaluationFailures', 'sum by (job, instance, rule_group) (increase(prometheus_rule_evaluation_failures_total[5m]))'],
];

/** The committed memory limit the live service is given (RENDER_MEMORY_LIMIT_BYTES). */
const MEMORY_LIMIT = 2 * 1024 ** 3;

const ENVIRONMENT = 'e2e-dashboards';

describe('dashboards against a live service and a real Prometheus', { timeout: 300_000 }, () => {
  let svc: RunningService | undefined;
  let prom: RunningPrometheus | undefined;
  let am: RunningAlertmanager | undefined;
  let synthetic: SyntheticSeries | undefined;
  let instance = '';

  beforeAll(async () => {
    svc = await startService({
      env: {
        RENDER_MAX_ATTEMPTS: '1',
        RENDER_BACKOFF_MS: '0',
        OTEL_RESOURCE_ATTRIBUTES: `deployment.environment.name=${ENVIRONMENT}`,
        RENDER_MEMORY_LIMIT_BYTES: String(MEMORY_LIMIT),
      },
    });
    instance = `127.0.0.1:${svc.port}`;
    const syn = await startSyntheticSeries();
    synthetic = syn;
    const alertmanager = await startAlertmanager(loopbackAlertmanagerConfig({}));
    am = alertmanager;
    const job = (name: string, target: string, path = '/metrics') => ({
      job_name: name,
      metrics_path: path,
      static_configs: [{ targets: [target] }],
    });
    prom = await startPrometheus(
      (port) => ({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: ['render-recording.yml', 'render-alerts.yml'],
        scrape_configs: [
          job('render-api', instance, '/api/metrics'),
          job('otel-collector', syn.address, '/collector'),
          job('tempo', syn.address, '/tempo'),
          job('render-worker', syn.address, '/worker'),
          job('alertmanager', alertmanager.address),
          job('prometheus', `127.0.0.1:${port}`),
        ],
      }),
      { 'render-recording.yml': readFileSync(RECORDING_FILE, 'utf8'), 'render-alerts.yml': readFileSync(ALERTS_FILE, 'utf8') },
    );
    await waitForTargetsUp(prom);
    const closedPort = await freePort();
    const failing = (i: number) =>
      tinyDeck(`unreachable audio ${i}`, 1, 1, {
        slides: [{ title: 'x', duration: 1, transition: 'none', audioUrl: `http://127.0.0.1:${closedPort}/a.mp3` }],
      });
    // Spread over several scrapes so counters are seen rising, not only born at their final value.
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await submitJob(svc.url, tinyDeck(`ok ${i}`))).id);
      ids.push((await submitJob(svc.url, failing(i))).id);
      await new Promise((r) => setTimeout(r, 1500));
    }
    const finals = await Promise.all(ids.map((id) => waitForStatus(svc!.url, id, ['completed', 'failed'], 120_000)));
    assert.deepEqual(finals.map((j) => j.status).sort(), ['completed', 'completed', 'completed', 'failed', 'failed', 'failed']);
    const sum = async (expr: string) => (await prom!.query(expr)).reduce((s, x) => s + Number(x.value[1]), 0);
    await waitFor(
      'Prometheus to scrape the final job counts',
      async () => (await sum('render_jobs_total{status="completed"}')) === 3 && (await sum('render_jobs_total{status="failed"}')) === 3,
      30_000,
      500,
    );
    await waitFor(
      'the event-loop delay to be scraped',
      async () => (await prom!.query('nodejs_eventloop_delay_p99_seconds')).length > 0,
      30_000,
      500,
    );
    await waitFor(
      'the recording rules to see the finished jobs and the API requests',
      async () =>
        (await prom!.query('render:job_errors:ratio_rate5m')).length > 0 &&
        (await prom!.query('render:http_request_duration_seconds:p95_rate5m')).length > 0 &&
        (await prom!.query('render:job_progress_updates:rate10m')).length > 0,
      30_000,
      500,
    );
  });

  afterAll(async () => {
    await prom?.stop();
    await am?.stop();
    await synthetic?.stop();
    await svc?.stop();
    svc?.cleanup();
  });

  const values = (instanceValue: string): VariableValues => ({
    datasource: 'prometheus',
    environment: '.*',
    instance: instanceValue,
    __rate_interval: '1m',
    __interval: '15s',
    __range: '10m',
    runbook_base: 'https://example.invalid/runbooks',
  });

  async function run(t: PanelTarget, vars: VariableValues): Promise<unknown[]> {
    const expr = substitute(String(t.target.expr), vars);
    assert.doesNotMatch(expr, /\$/, `${t.dashboard} / ${t.panel}: unsubstituted variable in ${expr}`);
    try {
      if (t.target.instant) return await prom!.query(expr);
      const end = Math.floor(Date.now() / 1000);
      const data = await prom!.api(`/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${end - 300}&end=${end}&step=5`);
      return data.result as unknown[];
    } catch (err) {
      throw new Error(`${t.dashboard} / ${t.panel} (${t.target.refId}): ${String(err)}\n  ${expr}`);
    }
  }

  const promTargets = () =>
    Object.values(allDashboards())
      .flatMap(targetsOf)
      .filter((t) => t.datasource.type === 'prometheus');

  test('every PromQL query of every dashboard runs without error (all instances, and the real one)', { timeout: 120_000 }, async () => {
    const targets = promTargets();
    assert.ok(targets.length > 40, `only ${targets.length} Prometheus queries found`);
    for (const t of targets) {
      await run(t, values('.*'));
      await run(t, values(instance.replace(/\./g, '\\\\.')));
    }
  });

  test("the overview's job, duration, queue, error and process panels return data", { timeout: 120_000 }, async () => {
    const overview = targetsOf(allDashboards()['render-overview.json']).filter((t) => t.datasource.type === 'prometheus');
    for (const title of MUST_HAVE_DATA) {
      const first = overview.find((t) => t.panel === title && (t.target.refId ?? 'A') === 'A');
      assert.ok(first, `no panel titled ${title}`);
      const result = await run(first, values(instance.replace(/\./g, '\\\\.')));
      assert.ok(result.length > 0, `${title}: no data\n  ${substitute(String(first.target.expr), values('.*'))}`);
    }
  });

  test("the pipeline dashboard's collector, Tempo (SYNTHETIC series) and Prometheus/Alertmanager panels return data", {
    timeout: 60_000,
  }, async () => {
    const pipeline = targetsOf(allDashboards()['telemetry-pipeline.json']).filter((t) => t.datasource.type === 'prometheus');
    for (const title of PIPELINE_MUST_HAVE_DATA) {
      const first = pipeline.find((t) => t.panel === title && (t.target.refId ?? 'A') === 'A');
      assert.ok(first, `no panel titled ${title}`);
      const result = await run(first, values('.*'));
      assert.ok(result.length > 0, `${title}: no data\n  ${substitute(String(first.target.expr), values('.*'))}`);
    }
  });

  test('annotation queries run: firing alerts and deploys/restarts with the versions from render_build_info', {
    timeout: 60_000,
  }, async () => {
    for (const [file, d] of Object.entries(allDashboards())) {
      for (const a of (d.annotations?.list ?? []) as { name?: string; expr?: string; builtIn?: number }[]) {
        if (a.builtIn === 1) continue;
        const expr = substitute(String(a.expr), values('.*'));
        const end = Math.floor(Date.now() / 1000);
        await prom!.api(`/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${end - 300}&end=${end}&step=15`).catch((err) => {
          throw new Error(`${file} / annotation ${a.name}: ${String(err)}\n  ${expr}`);
        });
      }
    }
    const info = await prom!.query('render_build_info');
    assert.equal(info.length, 1);
    assert.equal(info[0].metric.node_version, process.versions.node);
    assert.match(info[0].metric.ffmpeg_version, /^\d+\.\d+/);
    assert.match(info[0].metric.version, /^\d+\.\d+\.\d+/);
  });

  test('every committed rule evaluates without error against these series', { timeout: 30_000 }, async () => {
    const data = (await prom!.api('/api/v1/rules')) as {
      groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[];
    };
    const rules = data.groups.flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name })));
    assert.ok(rules.length >= 50, `only ${rules.length} rules loaded`);
    await waitFor('every rule evaluated', async () => {
      const again = (await prom!.api('/api/v1/rules')) as typeof data;
      return again.groups.every((g) => g.rules.every((r) => r.health !== 'unknown'));
    });
    const final = (await prom!.api('/api/v1/rules')) as typeof data;
    for (const g of final.groups) for (const r of g.rules) assert.equal(r.health, 'ok', `${g.name} / ${r.name}: ${r.lastError}`);
  });

  test("the new alerts' signals return data from the live service's own series, and the alerts stay silent on it", {
    timeout: 60_000,
  }, async () => {
    for (const [alert, expr] of APP_SIGNALS) {
      const result = await prom!.query(expr);
      assert.ok(result.length > 0, `${alert}: no data for ${expr}`);
    }
    // Every request is counted, traced or not: Prometheus's own scrapes of /api/metrics get no span.
    const scrapes = await prom!.query(
      'http_server_request_duration_seconds_count{http_route="/api/metrics", http_request_method="GET", http_response_status_code="200"}',
    );
    assert.ok(scrapes.length === 1 && Number(scrapes[0].value[1]) > 3, JSON.stringify(scrapes));
    const submits = await prom!.query(
      'sum(http_server_request_duration_seconds_count{http_route="/api/jobs", http_request_method="POST", http_response_status_code="202"})',
    );
    assert.equal(Number(submits[0]?.value[1]), 6, 'the six submits of this test');
    const memory = await prom!.query(APP_SIGNALS.find(([a]) => a === 'RenderMemoryNearLimit')![1]);
    const ratio = Number(memory[0].value[1]);
    assert.ok(ratio > 0 && ratio < 0.9, `memory / limit ${ratio}: the live service and its children against ${MEMORY_LIMIT} bytes`);
    const silent = [
      'RenderApiDown',
      'RenderApiErrorsHigh',
      'RenderApiLatencyHigh',
      'RenderMemoryNearLimit',
      'RenderJobHung',
      'RenderProcessRestarting',
      'RenderQueueStalled',
    ];
    const rules = alertRules();
    for (const name of silent) {
      for (const rule of rules.filter((r) => r.alert === name)) {
        const hit = await prom!.query(rule.expr);
        assert.deepEqual(hit, [], `${name} matches on a healthy service: ${rule.expr}`);
      }
    }
  });

  test('collector, storage and OOM alerts match the SYNTHETIC series built to trip them; Alertmanager/Prometheus alert inputs are real', {
    timeout: 60_000,
  }, async () => {
    const rules = alertRules();
    for (const name of SYNTHETIC_FIRING) {
      const exprs = rules.filter((r) => r.alert === name).map((r) => r.expr);
      assert.ok(exprs.length > 0, name);
      await waitFor(
        `${name}'s expression to match the synthetic series`,
        async () => {
          for (const e of exprs) if ((await prom!.query(e)).length > 0) return true;
          return false;
        },
        30_000,
        500,
      );
    }
    for (const [alert, expr] of PIPELINE_SIGNALS) {
      const result = await prom!.query(expr);
      assert.ok(result.length > 0, `${alert}: no data for ${expr}`);
    }
  });

  test('the environment and instance variables find this service through target_info', { timeout: 30_000 }, async () => {
    const vars = (allDashboards()['render-overview.json'].templating?.list ?? []) as { name: string; query?: unknown }[];
    const labelValues = async (name: string, env: string) => {
      const q = (vars.find((v) => v.name === name)!.query as { query: string }).query;
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(substitute(q, { environment: env }));
      assert.ok(m, `${name}: unexpected variable query ${q}`);
      return (await prom!.api(`/api/v1/label/${m[2]}/values?match[]=${encodeURIComponent(m[1])}`)) as string[];
    };
    assert.ok((await labelValues('environment', '.*')).includes(ENVIRONMENT));
    assert.deepEqual(await labelValues('instance', ENVIRONMENT), [instance]);
    assert.deepEqual(await labelValues('instance', 'some-other-environment'), []);
  });
});
