/**
 * The alerting configuration checked by the real tools: promtool (config, rules, unit tests) of the
 * pinned Prometheus (stack/versions.env, built by scripts/stack-bin.sh, the release compose runs)
 * and amtool, plus the conventions every alert follows and the runbook each one links to.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import YAML from 'yaml';
import { ALERTMANAGER_FILE, loopbackAlertmanagerConfig } from './alertmanager-config';
import { COMPOSE_FILE, composeText } from './generate';
import { stackBin } from '../stack/launch';
import { COMPOSE_OPTIONS, loopbackOptions, OTLP_PROMOTED_RESOURCE_ATTRIBUTES, prometheusConfig, RULE_FILES } from './prometheus-config';
import { alertRules, ALERTS_FILE, RECORDING_FILE, RUNBOOKS_DIR, runbookUrl } from './runbooks';
import { readVersions } from '../stack/versions';

const TESTS_DIR = path.join(__dirname, 'tests');
const EMPTY_TOKEN = path.join(__dirname, 'secrets', 'metrics-token.empty');

/** Runs a tool, asserts it succeeded and returns stdout followed by stderr. */
function run(cmd: string, args: string[], stdoutOnly = false): string {
  // promtool 3's unit tests of the multi-day SLO windows take over a minute on a loaded 2-core machine.
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return stdoutOnly ? r.stdout : `${r.stdout}${r.stderr}`;
}

let dir: string;
let promtool = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-rules-'));
  promtool = stackBin('promtool');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('promtool', { timeout: 360_000 }, () => {
  test('the promtool is the pinned release', () => {
    assert.match(
      run(promtool, ['--version']),
      new RegExp(`promtool, version ${readVersions().PROMETHEUS_VERSION.replaceAll('.', '\\.')} `),
    );
  });

  test('check rules accepts both rule files', () => {
    const out = run(promtool, ['check', 'rules', RECORDING_FILE, ALERTS_FILE]);
    assert.match(out, /SUCCESS: \d+ rules found/);
  });

  test('every alert unit test passes (timing, labels, annotations, recovery)', () => {
    const files = readdirSync(TESTS_DIR)
      .filter((f) => f.endsWith('.yml'))
      .map((f) => path.join(TESTS_DIR, f));
    assert.ok(files.length >= 3);
    run(promtool, ['test', 'rules', ...files]);
  });

  test('check config accepts the committed compose prometheus.yml, OTLP receiver settings included (token file present, empty)', () => {
    cpSync(path.join(__dirname, 'rules'), path.join(dir, 'rules'), { recursive: true });
    const text = readFileSync(COMPOSE_FILE, 'utf8').replaceAll(COMPOSE_OPTIONS.credentialsFile, EMPTY_TOKEN);
    assert.deepEqual(YAML.parse(text).otlp, { promote_resource_attributes: OTLP_PROMOTED_RESOURCE_ATTRIBUTES });
    writeFileSync(path.join(dir, 'prometheus.yml'), text);
    const out = run(promtool, ['check', 'config', path.join(dir, 'prometheus.yml')]);
    assert.match(out, /SUCCESS: 2 rule files found/);
  });

  test('check config rejects a misspelt OTLP setting (the pinned release knows the block)', () => {
    const doc = YAML.parse(readFileSync(COMPOSE_FILE, 'utf8').replace(/^rule_files:\n( {2}- .*\n)+/m, ''));
    doc.scrape_configs = [];
    doc.otlp = { promote_resource_attribute: ['service.version'] };
    writeFileSync(path.join(dir, 'misspelt.yml'), YAML.stringify(doc));
    const r = spawnSync(promtool, ['check', 'config', path.join(dir, 'misspelt.yml')], { encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(r.status, 0);
    assert.match(`${r.stdout}${r.stderr}`, /promote_resource_attribute/);
  });

  test('check config rejects a missing token file, which is why an empty one is the default', () => {
    const doc = YAML.parse(readFileSync(COMPOSE_FILE, 'utf8').replace(/^rule_files:\n( {2}- .*\n)+/m, ''));
    writeFileSync(path.join(dir, 'missing.yml'), YAML.stringify(doc));
    const r = spawnSync(promtool, ['check', 'config', path.join(dir, 'missing.yml')], { encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(r.status, 0);
    assert.match(`${r.stdout}${r.stderr}`, /metrics-token/);
  });

  test('check config accepts the loopback variant make stack writes', () => {
    const token = path.join(dir, 'metrics-token');
    copyFileSync(EMPTY_TOKEN, token);
    const rules = RULE_FILES.map((f) => path.join(__dirname, f));
    const config = prometheusConfig(loopbackOptions({ api: 3000, prometheus: 9090, alertmanager: 9093 }, token, rules));
    writeFileSync(path.join(dir, 'stack.yml'), YAML.stringify(config));
    run(promtool, ['check', 'config', path.join(dir, 'stack.yml')]);
    const jobs = (config.scrape_configs as { job_name: string }[]).map((j) => j.job_name);
    assert.deepEqual(jobs, ['render-api', 'alertmanager', 'prometheus']);
  });

  test('the committed prometheus.yml is what generate.ts writes (no drift)', () => {
    assert.equal(readFileSync(COMPOSE_FILE, 'utf8'), composeText());
  });
});

describe('amtool', { timeout: 60_000 }, () => {
  test('check-config accepts the committed alertmanager.yml and its templates', () => {
    const out = run('amtool', ['check-config', ALERTMANAGER_FILE]);
    assert.match(out, /2 templates/);
    assert.match(out, /3 receivers/);
  });

  test('check-config accepts the loopback variant with a local Slack URL', () => {
    const file = path.join(dir, 'am.yml');
    writeFileSync(
      file,
      YAML.stringify(loopbackAlertmanagerConfig({ slack: { url: 'http://127.0.0.1:9/slack' }, heartbeatUrl: 'http://127.0.0.1:9/hb' })),
    );
    run('amtool', ['check-config', file]);
    assert.doesNotMatch(readFileSync(file, 'utf8'), /smtp|example\.com/);
  });

  test('routes: critical goes to email and Slack, warning to Slack, Watchdog only to the heartbeat', () => {
    const route = (labels: string[]) =>
      run('amtool', ['config', 'routes', 'test', `--config.file=${ALERTMANAGER_FILE}`, ...labels], true).trim();
    assert.equal(route(['alertname=RenderErrorSpike', 'severity=critical']), 'email-critical,slack');
    assert.equal(route(['alertname=RenderQueueBacklog', 'severity=warning']), 'slack');
    assert.equal(route(['alertname=Watchdog', 'severity=none']), 'heartbeat');
  });
});

describe('alert conventions and runbooks', () => {
  const rules = alertRules();
  const names = [...new Set(rules.map((r) => r.alert))];
  const unitTests = readdirSync(TESTS_DIR)
    .map((f) => readFileSync(path.join(TESTS_DIR, f), 'utf8'))
    .join('\n');

  test('every alert of the issue exists', () => {
    for (const name of [
      'RenderApiDown',
      'RenderApiErrorsHigh',
      'RenderApiLatencyHigh',
      'RenderErrorSpike',
      'RenderQueueBacklog',
      'RenderQueueStalled',
      'RenderDurationP95High',
      'RenderJobHung',
      'RenderWorkerDown',
      'RenderSLOBurnRate',
      'RenderStorageFillingUp',
      'RenderMemoryNearLimit',
      'RenderOOMKilled',
      'RenderProcessRestarting',
      'TelemetryExportFailing',
      'OtelCollectorExportFailing',
      'OtelCollectorQueueFull',
      'AlertmanagerNotificationsFailing',
      'PrometheusRuleEvaluationFailures',
      'Watchdog',
    ]) {
      assert.ok(names.includes(name), `missing alert ${name}`);
    }
  });

  test('every alert is PascalCase with severity, summary, description and runbook_url', () => {
    for (const r of rules) {
      assert.match(r.alert, /^[A-Z][A-Za-z0-9]+$/);
      assert.ok(['critical', 'warning', 'none'].includes(r.labels.severity), `${r.alert} severity`);
      for (const key of ['summary', 'description', 'runbook_url']) assert.ok(r.annotations[key], `${r.alert} lacks ${key}`);
    }
  });

  test('every runbook_url is the base URL plus the alert name, and that runbook exists', () => {
    for (const r of rules) {
      assert.equal(r.annotations.runbook_url, runbookUrl(r.alert));
      const file = path.join(RUNBOOKS_DIR, `${r.alert}.md`);
      assert.ok(existsSync(file), `no runbook ${file}`);
      assert.match(readFileSync(file, 'utf8'), new RegExp(`^# ${r.alert}\\b`));
    }
  });

  test('every alert has a promtool unit test', () => {
    for (const name of names) assert.match(unitTests, new RegExp(`alertname: ${name}\\n`), `no unit test for ${name}`);
  });
});
