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
    METRIC_NAMES.queueSize,
    METRIC_NAMES.errors,
    METRIC_NAMES.memory,
    METRIC_NAMES.uptime,
    METRIC_NAMES.queueWait,
    METRIC_NAMES.stageDuration,
    METRIC_NAMES.inProgress,
    METRIC_NAMES.oldestAge,
    METRIC_NAMES.encodeSpeed,
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
