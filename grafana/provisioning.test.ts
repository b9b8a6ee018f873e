import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'vitest';
import YAML from 'yaml';
import { allDashboards } from './dashboards';
import { panelsOf, targetsOf } from './lib/targets';

interface Datasource {
  name: string;
  type: string;
  uid: string;
  url: string;
  jsonData?: Record<string, any>;
}

const provisioning = path.join(__dirname, 'provisioning');
const datasources = (YAML.parse(readFileSync(path.join(provisioning, 'datasources', 'datasources.yaml'), 'utf8')).datasources ??
  []) as Datasource[];
const byUid = new Map(datasources.map((d) => [d.uid, d]));
const dashboards = Object.values(allDashboards());

/** Resolves a `${var}` datasource UID to the variable's default value, as Grafana does on first load. */
function resolveUid(dashboard: (typeof dashboards)[number], uid: string): string {
  const m = /^\$\{?(\w+)\}?$/.exec(uid);
  if (!m) return uid;
  const variable = (dashboard.templating?.list ?? []).find((v) => v.name === m[1]);
  assert.ok(variable, `${dashboard.uid}: datasource variable ${m[1]} is not defined`);
  return String((variable.current as { value?: string } | undefined)?.value ?? variable.query);
}

test('datasource UIDs are unique and the three expected ones exist', { timeout: 10_000 }, () => {
  assert.equal(byUid.size, datasources.length, 'duplicate datasource uid');
  assert.equal(byUid.get('prometheus')?.type, 'prometheus');
  assert.equal(byUid.get('tempo')?.type, 'tempo');
  assert.equal(byUid.get('alertmanager')?.type, 'alertmanager');
  assert.equal(byUid.get('alertmanager')?.jsonData?.implementation, 'prometheus');
});

test('every datasource a dashboard references is provisioned, with the same type', { timeout: 10_000 }, () => {
  let checked = 0;
  for (const d of dashboards) {
    const refs = [
      ...targetsOf(d).map((t) => ({ where: `${d.uid} / ${t.panel}`, ref: t.datasource })),
      ...panelsOf(d).map((p) => ({ where: `${d.uid} / ${p.title}`, ref: (p.datasource ?? {}) as { type?: string; uid?: string } })),
      ...(d.templating?.list ?? []).flatMap((v) => (v.datasource ? [{ where: `${d.uid} / $${v.name}`, ref: v.datasource }] : [])),
    ];
    for (const { where, ref } of refs) {
      if (!ref.uid) continue;
      const ds = byUid.get(resolveUid(d, ref.uid));
      assert.ok(ds, `${where}: datasource ${ref.uid} is not provisioned`);
      assert.equal(ds.type, ref.type, `${where}: type mismatch for ${ref.uid}`);
      checked++;
    }
    // The alert list filters by datasource *name*, not UID.
    for (const p of panelsOf(d).filter((x) => x.type === 'alertlist')) {
      const name = (p.options as { datasource?: string }).datasource;
      assert.ok(
        datasources.some((ds) => ds.name === name),
        `${d.uid} / ${p.title}: no datasource named ${name}`,
      );
    }
  }
  assert.ok(checked > 20, 'expected to check many references');
});

test('Prometheus exemplars link to Tempo and Tempo links back to Prometheus', { timeout: 10_000 }, () => {
  const prom = byUid.get('prometheus')!;
  const tempo = byUid.get('tempo')!;
  const destinations = prom.jsonData?.exemplarTraceIdDestinations as { name: string; datasourceUid: string }[];
  assert.deepEqual(
    destinations.map((x) => [x.name, x.datasourceUid]),
    [['trace_id', tempo.uid]],
  );
  assert.equal(tempo.jsonData?.tracesToMetrics?.datasourceUid, prom.uid);
  assert.equal(tempo.jsonData?.serviceMap?.datasourceUid, prom.uid);
  assert.equal(tempo.jsonData?.nodeGraph?.enabled, true);
  assert.equal(tempo.jsonData?.search?.hide, false);
  for (const q of tempo.jsonData?.tracesToMetrics?.queries ?? []) {
    // A single `$` would be eaten by Grafana's provisioning env expansion.
    assert.ok(!/[^$]\$__tags/.test(q.query), `${q.name}: write $$__tags in provisioning files`);
  }
});

test('the dashboard provider loads the directory the generator writes (as mounted by compose)', { timeout: 10_000 }, () => {
  const providers = YAML.parse(readFileSync(path.join(provisioning, 'dashboards', 'dashboards.yaml'), 'utf8')).providers as any[];
  assert.equal(providers.length, 1);
  const compose = YAML.parse(readFileSync(path.join(__dirname, '..', 'docker-compose.yml'), 'utf8'));
  const mounts: string[] = compose.services.grafana.volumes;
  // The folder is a variable (Grafana expands $VAR in provisioning): compose sets it to the mount.
  const variable = /^\$\{?(\w+)\}?$/.exec(providers[0].options.path)?.[1];
  assert.ok(variable, 'the dashboards folder differs per layout: a $VAR');
  const folder = compose.services.grafana.environment[variable];
  assert.ok(
    mounts.some((m) => m.startsWith(`./grafana/dashboards:${folder}`)),
    `no mount for ${folder}`,
  );
  assert.ok(
    mounts.some((m) => m.startsWith('./grafana/provisioning:/etc/grafana/provisioning')),
    'provisioning not mounted',
  );
});
