/**
 * The launcher on real parts: a part starts on the plan's ports, answers, and stop() ends it and
 * frees them; a taken port is refused by name; plans never collide. The whole-stack scenario lives
 * in the stack e2e test; this file checks the machinery.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, test } from 'vitest';
import { COMPOSE_PORT_PLAN, freePortPlan, startCollector, startPrometheus, startStack, startToxiproxy } from './launch';
import { assertNoCollision, assertPortFree, listenersOf, type PortPlan } from './ports';
import { alive } from '../test/support/records';

const temps: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-launch-'));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

test("the compose plan uses compose's ports and gives every other listener its own", () => {
  const p = COMPOSE_PORT_PLAN;
  assert.deepEqual([p.api, p.grafana, p.prometheus, p.alertmanager, p.tempo.http], [3000, 3001, 9090, 9093, 3200]);
  assert.deepEqual(p.collector, { otlpGrpc: 4317, otlpHttp: 4318, metrics: 8888, health: 13133 });
  assert.equal(p.loki.http, 3100);
  assertNoCollision(p);
  const collide: PortPlan = { ...p, tempo: { ...p.tempo, otlpGrpc: 4317 } };
  assert.throws(() => assertNoCollision(collide), /tempo\.otlpGrpc and collector\.otlpGrpc both use port 4317/);
});

test('a free plan has a distinct loopback port for every listener', async () => {
  const plan = await freePortPlan();
  const ports = listenersOf(plan).map((l) => l.port);
  assert.equal(new Set(ports).size, ports.length);
  assert.ok(ports.length >= 17);
  assertNoCollision(plan);
});

test('the collector starts on the plan, serves health and metrics, runs without deprecation warnings, and stops', {
  timeout: 60 * 60_000,
}, async () => {
  const plan = await freePortPlan();
  const dir = tempDir();
  const c = await startCollector({ dir, ports: plan });
  try {
    assert.equal((await fetch(c.urls.health)).status, 200);
    const metrics = await (await fetch(c.urls.metrics)).text();
    assert.match(metrics, /^otelcol_process_uptime/m);
    // OTLP/HTTP is open on the plan's port (an empty export is accepted).
    const res = await fetch(`${c.urls.otlpHttp}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 200);
    const log = readFileSync(c.logPath, 'utf8');
    assert.doesNotMatch(log, /deprecat/i, 'the config uses a deprecated component name or setting');
  } finally {
    await c.stop();
  }
  assert.ok(!alive(c.pid));
  for (const port of Object.values(plan.collector)) await assertPortFree(port, 'after stop');
});

test('a part refuses to start on a taken port and names it', { timeout: 60 * 60_000 }, async () => {
  const plan = await freePortPlan();
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(plan.toxiproxy, '127.0.0.1', () => r()));
  try {
    await assert.rejects(
      startToxiproxy({ dir: tempDir(), ports: plan }),
      new RegExp(`port ${plan.toxiproxy} \\(toxiproxy http\\) is already taken`),
    );
  } finally {
    await new Promise((r) => squatter.close(r));
  }
  const t = await startToxiproxy({ dir: tempDir(), ports: plan });
  try {
    const version = (await (await fetch(`${t.urls.http}/version`)).text()).trim();
    assert.ok(version.length > 0);
  } finally {
    await t.kill();
  }
  assert.ok(!alive(t.pid));
});

test('the pinned Prometheus starts with the OTLP receiver on and scrapes the collector', { timeout: 60 * 60_000 }, async () => {
  const plan = await freePortPlan();
  const dir = tempDir();
  const stack = await startStack({
    dir,
    ports: plan,
    parts: ['prometheus', 'collector'],
    prometheus: { adjust: (o) => ({ ...o, scrapeInterval: '1s' }) },
  });
  try {
    const prom = stack.parts.prometheus!;
    const info = await (await fetch(`${prom.urls.http}/api/v1/status/buildinfo`)).json();
    assert.equal(info.data.version, readFileSync(path.join(__dirname, 'versions.env'), 'utf8').match(/^PROMETHEUS_VERSION=(.+)$/m)![1]);
    const deadline = Date.now() + 30_000;
    let up: { health: string; labels: { job: string } }[] = [];
    while (Date.now() < deadline) {
      up = (await (await fetch(`${prom.urls.http}/api/v1/targets`)).json()).data.activeTargets;
      if (up.some((t) => t.labels.job === 'otel-collector' && t.health === 'up')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(
      up.some((t) => t.labels.job === 'otel-collector' && t.health === 'up'),
      JSON.stringify(up),
    );
    // Prometheus 3's OTLP receiver answers (an empty request is accepted).
    const otlp = await fetch(`${prom.urls.http}/api/v1/otlp/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(),
    });
    assert.equal(otlp.status, 200);
  } finally {
    await stack.stop();
  }
});

test('startPrometheus on its own fails clearly when its port is taken', { timeout: 60 * 60_000 }, async () => {
  const plan = await freePortPlan();
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(plan.prometheus, '127.0.0.1', () => r()));
  try {
    await assert.rejects(startPrometheus({ dir: tempDir(), ports: plan }), /is already taken/);
  } finally {
    await new Promise((r) => squatter.close(r));
  }
});
