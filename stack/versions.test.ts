/**
 * stack/versions.env is the one list of versions: docker-compose.yml's image tags, the collector
 * manifest and the tools modules must say the same releases, in their own spellings.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'vitest';
import YAML from 'yaml';
import { prometheusModuleVersion, readVersions } from './versions';

const REPO = path.join(__dirname, '..');
const v = readVersions();
const compose = YAML.parse(readFileSync(path.join(REPO, 'docker-compose.yml'), 'utf8'));
const services = compose.services as Record<string, { image?: string; build?: { context: string; args?: Record<string, string> } }>;
const images = Object.entries(services).map(([name, s]) => ({ name, image: s.image ?? '' }));

function tagsOf(repository: string): string[] {
  return images.filter((i) => i.image.startsWith(`${repository}:`)).map((i) => i.image.slice(repository.length + 1));
}

test('every stack part has a version, and nothing else is in the list', { timeout: 10_000 }, () => {
  for (const part of ['COLLECTOR', 'PROMETHEUS', 'ALERTMANAGER', 'TEMPO', 'GRAFANA', 'LOKI', 'TOXIPROXY']) {
    assert.match(v[`${part}_VERSION`] ?? '', /^\d+\.\d+\.\d+$/, `${part}_VERSION`);
  }
  for (const key of Object.keys(v)) assert.match(key, /^[A-Z]+_(VERSION|MODULE_VERSION|COMMIT)$/, key);
});

test("compose's image tags are the listed releases", { timeout: 10_000 }, () => {
  assert.deepEqual(tagsOf('prom/prometheus'), [`v${v.PROMETHEUS_VERSION}`]);
  assert.deepEqual(tagsOf('prom/alertmanager'), [`v${v.ALERTMANAGER_VERSION}`]);
  assert.deepEqual(tagsOf('grafana/tempo'), [v.TEMPO_VERSION]);
  assert.deepEqual(tagsOf('grafana/grafana'), [v.GRAFANA_VERSION]);
  // Loki joins compose later; when it does, its tag is the listed one.
  for (const tag of tagsOf('grafana/loki')) assert.equal(tag, v.LOKI_VERSION);
});

test('the compose collector is built from our manifest at the listed release, not pulled as contrib', { timeout: 10_000 }, () => {
  const c = services['otel-collector'];
  assert.equal(c.build?.context, './otel-collector');
  assert.equal(c.build?.args?.COLLECTOR_VERSION, v.COLLECTOR_VERSION);
  assert.equal(c.image, `render-o11y-otelcol:${v.COLLECTOR_VERSION}`);
  assert.deepEqual(tagsOf('otel/opentelemetry-collector-contrib'), []);
  assert.deepEqual(tagsOf('otel/opentelemetry-collector'), []);
});

test('the collector manifest names modules of the listed release only', { timeout: 10_000 }, () => {
  const manifest = YAML.parse(readFileSync(path.join(REPO, 'otel-collector', 'builder-config.yaml'), 'utf8'));
  assert.equal(manifest.dist.version, v.COLLECTOR_VERSION);
  const [, minor, patch] = v.COLLECTOR_VERSION.split('.').map(Number);
  // The collector's stable modules (v1.x) move in step with the v0 release: 0.159.0 goes with 1.65.0.
  const allowed = new Set([`v${v.COLLECTOR_VERSION}`, `v1.${minor - 94}.${patch}`]);
  const modules = ['receivers', 'processors', 'connectors', 'exporters', 'extensions', 'providers'].flatMap(
    (k) => (manifest[k] ?? []) as { gomod: string }[],
  );
  assert.ok(modules.length > 0);
  for (const m of modules) {
    const version = m.gomod.split(' ')[1];
    assert.ok(allowed.has(version), `${m.gomod}: not ${[...allowed].join(' or ')}`);
  }
});

test("the module spellings: Prometheus's v0.3xx, Loki's /v3, the tools module requires the listed one", { timeout: 10_000 }, () => {
  assert.equal(prometheusModuleVersion('3.14.0'), 'v0.314.0');
  assert.equal(prometheusModuleVersion('3.9.1'), 'v0.309.1');
  assert.equal(v.PROMETHEUS_MODULE_VERSION, prometheusModuleVersion(v.PROMETHEUS_VERSION));
  assert.equal(v.LOKI_MODULE_VERSION, `v${v.LOKI_VERSION}`);
  assert.match(v.TEMPO_COMMIT, /^[0-9a-f]{40}$/);
  const gomod = readFileSync(path.join(__dirname, 'tools', 'prometheus', 'go.mod'), 'utf8');
  const required = /^\s*github\.com\/prometheus\/prometheus (v\S+)/m.exec(gomod)?.[1];
  assert.equal(required, v.PROMETHEUS_MODULE_VERSION);
});
