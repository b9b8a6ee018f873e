/**
 * The generated dashboards against real data: the embedded service runs real jobs (some complete,
 * some fail), a real Prometheus scrapes it every second, and every PromQL query of every dashboard
 * (with Grafana's variables substituted) must run without error. The overview's job, duration,
 * queue, error and process panels must also return data.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { allDashboards } from '../../grafana/dashboards';
import { substitute, targetsOf, type PanelTarget, type VariableValues } from '../../grafana/lib/targets';
import { submitJob, tinyDeck, waitForStatus } from '../support/jobs';
import { freePort, waitFor } from '../support/ports';
import { startPrometheus, waitForTargetsUp, type RunningPrometheus } from '../support/prometheus';
import { startService, type RunningService } from '../support/service';

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
];

const ENVIRONMENT = 'e2e-dashboards';

describe('dashboards against a live service and a real Prometheus', { timeout: 300_000 }, () => {
  let svc: RunningService | undefined;
  let prom: RunningPrometheus | undefined;
  let instance = '';

  beforeAll(async () => {
    svc = await startService({
      env: { RENDER_MAX_ATTEMPTS: '1', RENDER_BACKOFF_MS: '0', OTEL_RESOURCE_ATTRIBUTES: `deployment.environment.name=${ENVIRONMENT}` },
    });
    instance = `127.0.0.1:${svc.port}`;
    prom = await startPrometheus({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: [{ job_name: 'render-api', metrics_path: '/api/metrics', static_configs: [{ targets: [instance] }] }],
    });
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
  });

  afterAll(async () => {
    await prom?.stop();
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
