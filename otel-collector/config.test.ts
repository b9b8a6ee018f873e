import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'vitest';
import YAML from 'yaml';
import { expandVariables } from '../stack/config-env';

interface Pipeline {
  receivers: string[];
  processors?: string[];
  exporters: string[];
}

// As the compose collector reads it: every ${env:…} reference at its default.
const config = YAML.parse(expandVariables(readFileSync(path.join(__dirname, 'config.yaml'), 'utf8')));
const pipelines = Object.entries(config.service.pipelines as Record<string, Pipeline>);
const connectors = Object.keys(config.connectors ?? {});
const signal = (name: string) => name.split('/')[0];

test('every component a pipeline uses is declared, and every declared one is used', { timeout: 10_000 }, () => {
  const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };
  for (const [name, p] of pipelines) {
    for (const r of p.receivers) {
      assert.ok(r in (config.receivers ?? {}) || connectors.includes(r), `${name}: receiver ${r} not declared`);
      used.receivers.add(r);
    }
    for (const x of p.processors ?? []) {
      assert.ok(x in (config.processors ?? {}), `${name}: processor ${x} not declared`);
      used.processors.add(x);
    }
    for (const e of p.exporters) {
      assert.ok(e in (config.exporters ?? {}) || connectors.includes(e), `${name}: exporter ${e} not declared`);
      used.exporters.add(e);
    }
  }
  for (const kind of ['receivers', 'processors', 'exporters'] as const) {
    for (const declared of Object.keys(config[kind] ?? {})) assert.ok(used[kind].has(declared), `${kind}.${declared} declared but unused`);
  }
  for (const c of connectors) {
    assert.ok(used.exporters.has(c) && used.receivers.has(c), `connector ${c} must be both an exporter and a receiver`);
  }
});

test('extensions in service.extensions are declared, and health_check is on', { timeout: 10_000 }, () => {
  const enabled: string[] = config.service.extensions ?? [];
  for (const e of enabled) assert.ok(e in (config.extensions ?? {}), `extension ${e} not declared`);
  for (const e of Object.keys(config.extensions ?? {})) assert.ok(enabled.includes(e), `extension ${e} declared but not enabled`);
  assert.ok(enabled.includes('health_check'));
});

test('memory_limiter comes first in every pipeline and batch is in every pipeline that exports', { timeout: 10_000 }, () => {
  for (const [name, p] of pipelines) {
    assert.equal(p.processors?.[0], 'memory_limiter', `${name}: memory_limiter must be first`);
    assert.ok(p.processors?.includes('batch'), `${name}: no batch processor`);
  }
});

test('spanmetrics and servicegraph turn traces into metrics that reach Prometheus', { timeout: 10_000 }, () => {
  for (const c of ['span_metrics', 'service_graph']) {
    assert.ok(
      pipelines.some(([n, p]) => signal(n) === 'traces' && p.exporters.includes(c)),
      `${c} must be an exporter of a traces pipeline`,
    );
    assert.ok(
      pipelines.some(([n, p]) => signal(n) === 'metrics' && p.receivers.includes(c)),
      `${c} must be a receiver of a metrics pipeline`,
    );
  }
  assert.equal(config.connectors.span_metrics.exemplars.enabled, true);
  const metricsOut = pipelines.filter(([n]) => signal(n) === 'metrics').flatMap(([, p]) => p.exporters);
  const toProm = metricsOut.map((e) => config.exporters[e]).filter((e) => /\/api\/v1\/(otlp|write)/.test(String(e?.endpoint)));
  assert.ok(toProm.length > 0, 'no metrics exporter targets Prometheus');
});

test('traces reach Tempo only scrubbed and tail-sampled; span metrics see every span', { timeout: 10_000 }, () => {
  const toTempo = pipelines.filter(([, p]) => p.exporters.some((e) => String(config.exporters[e]?.endpoint ?? '').startsWith('tempo:')));
  assert.equal(toTempo.length, 1);
  const procs = toTempo[0][1].processors!;
  assert.ok(procs.indexOf('attributes/scrub') < procs.indexOf('tail_sampling'));
  for (const [name, p] of pipelines.filter(([n]) => signal(n) === 'traces')) {
    assert.ok(p.processors?.includes('attributes/scrub'), `${name}: not scrubbed`);
    if (p.exporters.includes('span_metrics'))
      assert.ok(!p.processors?.includes('tail_sampling'), 'span metrics must count unsampled spans');
  }
  const policies = config.processors.tail_sampling.policies as { type: string; status_code?: { status_codes: string[] } }[];
  assert.ok(
    policies.some((x) => x.type === 'status_code' && x.status_code?.status_codes.includes('ERROR')),
    'errors must always be kept',
  );
  assert.ok(
    policies.some((x) => x.type === 'latency'),
    'slow traces must be kept',
  );
  assert.ok(
    policies.some((x) => x.type === 'probabilistic'),
    'a share of the rest',
  );
});

test('the scrub processor deletes attributes that can carry user content or secrets', { timeout: 10_000 }, () => {
  const deleted = (config.processors['attributes/scrub'].actions as { key?: string; pattern?: string; action: string }[]).filter(
    (a) => a.action === 'delete',
  );
  const covers = (attr: string) => deleted.some((a) => a.key === attr || (a.pattern && new RegExp(a.pattern).test(attr)));
  for (const attr of [
    'http.request.header.authorization',
    'http.request.header.cookie',
    'url.query',
    'db.statement',
    'db.query.text',
    'messaging.message.body',
  ]) {
    assert.ok(covers(attr), `${attr} is not deleted`);
  }
  assert.ok(!covers('http.request.method') && !covers('url.path'), 'must not delete harmless attributes');
  const statements = JSON.stringify(config.processors['transform/strip_query']);
  for (const attr of ['url.full', 'http.url']) assert.ok(statements.includes(`attributes[\\"${attr}\\"]`), `${attr} query string kept`);
});

test('the receivers listen on all interfaces and self-metrics are exposed on :8888', { timeout: 10_000 }, () => {
  assert.equal(config.receivers.otlp.protocols.grpc.endpoint, '0.0.0.0:4317');
  assert.equal(config.receivers.otlp.protocols.http.endpoint, '0.0.0.0:4318');
  const reader = config.service.telemetry.metrics.readers[0].pull.exporter.prometheus;
  assert.equal(reader.port, 8888);
});

test('tail sampling keeps every job trace whole, keeps errors, and does not sample requests again', { timeout: 10_000 }, () => {
  const ts = config.processors.tail_sampling;
  type Policy = { name: string; type: string; string_attribute?: { key: string; values: string[]; enabled_regex_matching?: boolean } };
  const policies = ts.policies as Policy[];
  const keeps = (key: string) =>
    policies.some(
      (p) =>
        p.type === 'string_attribute' &&
        p.string_attribute?.key === key &&
        p.string_attribute.enabled_regex_matching === true &&
        p.string_attribute.values.some((v) => new RegExp(`^(?:${v})$`).test('01JD8X3Z9Q')),
    );
  assert.ok(keeps('render.job.id'), 'a policy must keep every trace carrying render.job.id');
  assert.ok(keeps('http.request.method'), 'requests were head-sampled by the SDK: kept as sent');
  // A job's late spans (worker attempts minutes later) follow the decision taken on its first
  // spans through the decision cache, which must outlive far more traces than are in flight.
  assert.ok(ts.decision_cache.sampled_cache_size >= 100_000);
  assert.ok(ts.decision_cache.non_sampled_cache_size >= 100_000);
  const wait = Number(String(ts.decision_wait).replace(/s$/, ''));
  assert.ok(wait >= 30 && wait <= 120, `decision_wait ${ts.decision_wait} must cover the SDK's batch delay without holding jobs in memory`);
});

test('the service graph pairs the queue edge and span metrics expire', { timeout: 10_000 }, () => {
  const ttl = String(config.connectors.service_graph.store.ttl);
  assert.match(ttl, /^\d+m$/);
  assert.ok(Number.parseInt(ttl, 10) >= 10, 'the API→worker edge spans the queue wait: minutes, not seconds');
  assert.ok(config.connectors.span_metrics.metrics_expiration, 'metrics_expiration must be set');
  assert.ok(config.connectors.service_graph.virtual_node_peer_attributes.includes('server.address'));
});
