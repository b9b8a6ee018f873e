/**
 * Loki's committed config and log alerts, checked statically (this machine cannot run Loki: see
 * README, "Stack parts"): labels, retention, the ruler's Alertmanager, compose's healthcheck, and
 * the alert's line being the one the runner writes.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'vitest';
import YAML from 'yaml';
import { RUNBOOKS_DIR, runbookUrl } from '../prometheus/runbooks';
import { WORKER_LOST_LINE } from '../services/worker/runner';
import { expandVariables } from '../stack/config-env';

const ROOT = path.join(__dirname, '..');
const raw = readFileSync(path.join(__dirname, 'loki.yaml'), 'utf8');
/** The config as the compose Loki reads it (-config.expand-env=true with nothing set: every default). */
const config = YAML.parse(expandVariables(raw));
const compose = YAML.parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'));

test('index labels are service_name and deployment_environment only; nothing per job, trace or instance', () => {
  const otlp = config.limits_config.otlp_config.resource_attributes;
  // Without ignore_defaults Loki also indexes service.instance.id, k8s.* and cloud.* attributes.
  assert.equal(otlp.ignore_defaults, true);
  const indexed = (otlp.attributes_config as { action: string; attributes: string[] }[])
    .filter((a) => a.action === 'index_label')
    .flatMap((a) => a.attributes);
  assert.deepEqual(indexed.sort(), ['deployment.environment', 'service.name']);
  assert.equal(config.limits_config.otlp_config.log_attributes, undefined, 'log attributes (job_id…) stay structured metadata');
  assert.equal(config.limits_config.otlp_config.scope_attributes, undefined);
  assert.equal(config.limits_config.allow_structured_metadata, true);
});

test("retention is Prometheus's 35 days, applied by the compactor", () => {
  const prometheusFlag = (compose.services.prometheus.command as string[]).find((c) => c.startsWith('--storage.tsdb.retention.time='));
  assert.equal(prometheusFlag, '--storage.tsdb.retention.time=35d');
  assert.equal(config.limits_config.retention_period, `${35 * 24}h`);
  assert.equal(config.compactor.retention_enabled, true, 'retention_period does nothing without the compactor deleting');
  assert.equal(config.compactor.delete_request_store, 'filesystem');
});

test('compose runs the pinned Loki with expand-env, its own -health check, rules mounted for the one tenant, within its memory limit', () => {
  const loki = compose.services.loki;
  assert.match(loki.image, /^grafana\/loki:3\.\d+\.\d+$/);
  assert.ok(loki.command.includes('-config.expand-env=true'));
  assert.deepEqual(loki.healthcheck.test, ['CMD', '/usr/bin/loki', '-health']);
  assert.ok(loki.volumes.includes('./loki/rules:/etc/loki/rules/fake:ro'));
  assert.equal(config.ruler.storage.local.directory, '/etc/loki/rules');
  assert.equal(config.auth_enabled, false);
  assert.equal(loki.mem_limit, '512m');
  // Ingestion bounded well below the container's memory: the collector queues and retries the rest.
  assert.ok(config.limits_config.ingestion_burst_size_mb <= 16);
  // The collector sends to Loki's OTLP endpoint in compose (its config's default), Grafana reads from Loki.
  assert.match(
    readFileSync(path.join(ROOT, 'otel-collector', 'config.yaml'), 'utf8'),
    /\$\{env:OTELCOL_LOKI_OTLP_URL:-http:\/\/loki:3100\/otlp\}/,
  );
  assert.equal(compose.services.grafana.environment.RENDER_LOKI_URL, 'http://loki:3100');
});

test('the ruler sends to the same Alertmanager as Prometheus', () => {
  assert.equal(config.ruler.alertmanager_url, 'http://alertmanager:9093');
  assert.equal(config.ruler.enable_alertmanager_v2, true);
  const prom = readFileSync(path.join(ROOT, 'prometheus', 'prometheus.yml'), 'utf8');
  assert.match(prom, /alertmanager:9093/);
});

const rules = YAML.parse(readFileSync(path.join(__dirname, 'rules', 'render-logs.yml'), 'utf8')).groups.flatMap(
  (g: { rules: unknown[] }) => g.rules,
) as { alert: string; expr: string; labels: Record<string, string>; annotations: Record<string, string> }[];

test('every log alert follows the alert conventions and has its runbook', () => {
  assert.ok(rules.length >= 1);
  for (const r of rules) {
    assert.ok(['warning', 'critical'].includes(r.labels.severity), `${r.alert}: severity`);
    for (const a of ['summary', 'description', 'runbook_url']) assert.ok(r.annotations[a], `${r.alert}: ${a}`);
    assert.equal(r.annotations.runbook_url, runbookUrl(r.alert));
    assert.ok(existsSync(path.join(RUNBOOKS_DIR, `${r.alert}.md`)), `${r.alert}: no runbook`);
    // A stream selector on the index labels only; anything else is a filter after it.
    const selector = /^[^{]*\{([^}]*)\}/.exec(r.expr)?.[1] ?? '';
    for (const m of selector.matchAll(/(\w+)\s*[=!~]/g))
      assert.ok(['service_name', 'deployment_environment'].includes(m[1]), `${r.alert}: label ${m[1]}`);
  }
});

test('WorkerLostMidAttempt counts the line the runner writes when it finds an attempt that died', () => {
  const rule = rules.find((r) => r.alert === 'WorkerLostMidAttempt');
  assert.ok(rule);
  assert.ok(rule.expr.includes(`|= "${WORKER_LOST_LINE}"`), rule.expr);
});
