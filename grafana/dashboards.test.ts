import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'vitest';
import YAML from 'yaml';
import { allDashboards, DASHBOARDS_DIR, serialize } from './dashboards';
import { panelsOf, substitute, targetsOf } from './lib/targets';
import { METRIC_NAMES } from '../services/telemetry/metrics';

const dashboards = allDashboards();

test('committed dashboard JSON is exactly what the code generates (run `npm run dashboards`)', { timeout: 10_000 }, () => {
  for (const [file, dashboard] of Object.entries(dashboards)) {
    const committed = readFileSync(path.join(DASHBOARDS_DIR, file), 'utf8');
    assert.equal(committed, serialize(dashboard), `${file} is stale: run npm run dashboards`);
  }
  const onDisk = readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
  assert.deepEqual(onDisk, Object.keys(dashboards).sort(), 'a JSON file with no generator would never be updated');
});

test('dashboards have their fixed UIDs and unique panel ids', { timeout: 10_000 }, () => {
  const uids = Object.values(dashboards).map((d) => d.uid);
  assert.deepEqual(uids.sort(), ['render-overview', 'telemetry-pipeline']);
  for (const d of Object.values(dashboards)) {
    const ids = (d.panels ?? []).map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `${d.uid}: duplicate panel ids`);
  }
});

test('every panel has a unit, a description and at least one query', { timeout: 10_000 }, () => {
  for (const d of Object.values(dashboards)) {
    for (const p of panelsOf(d)) {
      assert.ok(p.fieldConfig?.defaults?.unit, `${d.uid} / ${p.title}: no unit`);
      assert.ok(p.description, `${d.uid} / ${p.title}: no description`);
      if (p.type !== 'alertlist') assert.ok((p.targets ?? []).length > 0, `${d.uid} / ${p.title}: no query`);
    }
  }
});

test('the overview covers the admin page and more', { timeout: 10_000 }, () => {
  const overview = dashboards['render-overview.json'];
  const exprs = targetsOf(overview).map((t) => String(t.target.expr ?? t.target.query ?? ''));
  const uses = (name: string) => exprs.some((e) => e.includes(name));
  for (const name of [
    METRIC_NAMES.jobs,
    METRIC_NAMES.duration,
    'render:queue_size:max',
    'render:errors:rate5m',
    METRIC_NAMES.retries,
    METRIC_NAMES.memory,
    METRIC_NAMES.uptime,
    METRIC_NAMES.queueWait,
    METRIC_NAMES.stageDuration,
    'render:jobs_in_progress:sum',
    'render:queue_oldest_job_age_seconds:max',
    METRIC_NAMES.encodeSpeed,
    METRIC_NAMES.httpServerDuration,
    METRIC_NAMES.memoryUsage,
    METRIC_NAMES.memoryLimit,
    METRIC_NAMES.buildInfo,
    METRIC_NAMES.progressUpdates,
    METRIC_NAMES.jobsOverdue,
    'render_storage_free_bytes',
    'nodejs_eventloop_delay',
    'ALERTS',
  ])
    assert.ok(uses(name), `no overview panel queries ${name}`);
  for (const status of ['queued', 'completed', 'failed', 'cancelled'])
    assert.ok(
      exprs.some((e) => e.includes(`status="${status}"`)),
      status,
    );
  for (const q of ['0.5', '0.95', '0.99'])
    assert.ok(uses(`histogram_quantile(${q}, sum by (le) (rate(${METRIC_NAMES.duration}_bucket`), `p${q}`);
  const durationTargets = targetsOf(overview).filter(
    (t) => String(t.target.expr).includes(`${METRIC_NAMES.duration}_bucket`) && !t.target.instant,
  );
  assert.ok(
    durationTargets.length >= 3 && durationTargets.every((t) => t.target.exemplar === true),
    'duration queries must request exemplars',
  );
  const types = new Set(panelsOf(overview).map((p) => p.type));
  for (const t of ['stat', 'timeseries', 'table', 'heatmap', 'alertlist']) assert.ok(types.has(t), `no ${t} panel`);
  const tempo = targetsOf(overview).filter((t) => t.datasource.type === 'tempo');
  assert.equal(tempo.length, 1);
  assert.match(tempo[0].target.query, /status = error \|\| duration > 60s/);
  const vars = (overview.templating?.list ?? []).map((v) => v.name);
  for (const v of ['datasource', 'environment', 'instance']) assert.ok(vars.includes(v), `variable ${v}`);
});

test('runbook links name alerts the rules define, at the base URL the rules use', { timeout: 10_000 }, () => {
  const rulesDir = path.join(__dirname, '..', 'prometheus', 'rules');
  const rules = readdirSync(rulesDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((f) => {
      const groups = (YAML.parse(readFileSync(path.join(rulesDir, f), 'utf8'))?.groups ?? []) as {
        rules: { alert?: string; annotations?: Record<string, string> }[];
      }[];
      return groups.flatMap((g) => g.rules);
    });
  const alerts = new Set(rules.flatMap((r) => (r.alert ? [r.alert] : [])));
  const json = Object.values(dashboards)
    .map((d) => JSON.stringify(d))
    .join('\n');
  const linked = [...json.matchAll(/\$\{runbook_base\}\/([A-Za-z0-9]+)\.md/g)].map((m) => m[1]);
  assert.ok(linked.length >= 8, 'expected runbook links on panels and dashboards');
  for (const name of linked) assert.ok(alerts.has(name), `link to the runbook of ${name}, which no rule defines`);
  const base = (dashboards['render-overview.json'].templating?.list ?? []).find((v) => v.name === 'runbook_base')?.query;
  for (const r of rules.filter((x) => x.annotations?.runbook_url)) {
    assert.equal(r.annotations!.runbook_url, `${base}/${r.alert}.md`, `${r.alert}: runbook_url differs from the dashboards' runbook_base`);
  }
});

test('every Prometheus query references only variables the test substitution knows', { timeout: 10_000 }, () => {
  const known = { datasource: 'x', instance: 'x', environment: 'x', __rate_interval: '1m', __range: '1h', __interval: '15s' };
  for (const d of Object.values(dashboards)) {
    for (const t of targetsOf(d).filter((x) => x.datasource.type === 'prometheus')) {
      const expr = substitute(String(t.target.expr), known);
      assert.doesNotMatch(expr, /\$|\[\[/, `${d.uid} / ${t.panel}: unknown variable in ${expr}`);
    }
  }
});

const GRAFANA_SCHEMA_FOR_MAJOR: Record<number, number> = {
  // Schema 42 is the last of the v1 dashboard model (Grafana 12 and later keep it for v1 JSON).
  12: 42,
  13: 42,
};

test('every time series shows its legend; every dashboard has annotation queries besides the built-in one', { timeout: 10_000 }, () => {
  for (const d of Object.values(dashboards)) {
    for (const p of panelsOf(d).filter((x) => x.type === 'timeseries')) {
      const legend = (p.options as { legend?: { showLegend?: boolean; displayMode?: string } } | undefined)?.legend;
      assert.equal(legend?.showLegend, true, `${d.uid} / ${p.title}: legend hidden`);
      assert.notEqual(legend?.displayMode, 'hidden', `${d.uid} / ${p.title}: legend hidden`);
    }
    const list = (d.annotations?.list ?? []) as { builtIn?: number; expr?: string; name?: string }[];
    assert.ok(
      list.some((a) => a.builtIn === 1),
      `${d.uid}: Grafana's built-in annotation`,
    );
    const own = list.filter((a) => a.builtIn !== 1);
    assert.ok(own.length >= 1, `${d.uid}: no annotation query of its own`);
    assert.ok(
      own.some((a) => /ALERTS\{alertstate="firing"/.test(String(a.expr))),
      `${d.uid}: no firing-alerts annotation`,
    );
  }
  const overview = (dashboards['render-overview.json'].annotations?.list ?? []) as { expr?: string }[];
  assert.ok(overview.some((a) => String(a.expr).includes(METRIC_NAMES.buildInfo) && String(a.expr).includes('resets(')));
});

test("the overview's first row: firing alerts, error budget, burn rate, API RED, queue wait, workers", { timeout: 10_000 }, () => {
  const panels = (dashboards['render-overview.json'].panels ?? []) as { type: string; title?: string; targets?: { expr?: string }[] }[];
  const firstRow = panels.findIndex((p) => p.type === 'row');
  const secondRow = panels.findIndex((p, i) => i > firstRow && p.type === 'row');
  assert.equal(firstRow, 0);
  const first = panels.slice(firstRow + 1, secondRow);
  const exprs = first.flatMap((p) => (p.targets ?? []).map((t) => String(t.expr)));
  for (const needle of [
    'ALERTS{alertstate="firing"',
    'render:slo_error_budget:remaining30d',
    'render:slo_burn_rate:rate1h',
    'render:http_errors:ratio_rate5m',
    'render:http_request_duration_seconds:p95_rate5m',
    `${METRIC_NAMES.httpServerDuration}_count`,
    'render:queue_wait_seconds:p95_rate5m',
    'render:workers_alive:max',
  ])
    assert.ok(
      exprs.some((e) => e.includes(needle)),
      `first row lacks ${needle}`,
    );
});

test('threshold lines sit at the alert thresholds', { timeout: 10_000 }, () => {
  const byTitle = new Map(panelsOf(dashboards['render-overview.json']).map((p) => [p.title, p]));
  const lines = (title: string) => {
    const p = byTitle.get(title);
    assert.equal((p?.fieldConfig?.defaults?.custom as { thresholdsStyle?: { mode: string } })?.thresholdsStyle?.mode, 'dashed', title);
    return (p?.fieldConfig?.defaults?.thresholds?.steps ?? []).map((s) => s.value).filter((v) => v !== null);
  };
  assert.deepEqual(lines('Burn rate'), [6, 14.4]);
  assert.deepEqual(lines('API latency p95'), [1]);
  assert.deepEqual(lines('Queue size by state'), [50, 100]);
  assert.deepEqual(lines('Memory vs limit'), [0.9]);
  assert.deepEqual(lines('Success rate vs SLO'), [0.99]);
  assert.deepEqual(lines('Render duration p95 by outcome'), [600]);
});

test('queue panels read the max-across-replicas recording rules, never a sum of render_queue_size', { timeout: 10_000 }, () => {
  for (const d of Object.values(dashboards)) {
    for (const t of targetsOf(d))
      assert.doesNotMatch(String(t.target.expr ?? ''), /sum[^(]*\(\s*render_queue_size/, `${d.uid} / ${t.panel}`);
  }
});

test("the dashboards' schemaVersion matches the Grafana image docker-compose pins", { timeout: 10_000 }, () => {
  const compose = YAML.parse(readFileSync(path.join(__dirname, '..', 'docker-compose.yml'), 'utf8'), { merge: true });
  const image = String(compose.services.grafana.image);
  const major = Number(/^grafana\/grafana:(\d+)\.\d+\.\d+$/.exec(image)?.[1]);
  assert.ok(GRAFANA_SCHEMA_FOR_MAJOR[major], `no known schemaVersion for ${image}`);
  for (const d of Object.values(dashboards)) assert.equal(d.schemaVersion, GRAFANA_SCHEMA_FOR_MAJOR[major], d.uid);
});
