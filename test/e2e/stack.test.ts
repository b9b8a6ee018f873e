/**
 * The stack, really run: the services export OTLP (through a counting tap) to the collector built
 * from otel-collector/builder-config.yaml, running the committed otel-collector/config.yaml;
 * Prometheus 3.14 (built from its module) scrapes the services, the collector, Alertmanager and
 * itself, receives the span metrics and the service graph over OTLP and evaluates the committed
 * rules; Debian's Alertmanager routes to a local Slack receiver. Tempo and Grafana cannot be built
 * here (the Go module proxy refuses both modules; README, "Stack parts"): what the collector sends
 * to Tempo is received where Tempo would listen (test/support/tempo-endpoint.ts), and the
 * dashboards' queries run on this Prometheus with Grafana's variables substituted.
 *
 * One stack for the whole file. The scenario, embedded then API + 2 workers on Redis: a job that
 * completes, one that fails for good, one that fails and is retried to success, one cancelled
 * during its encode, and one that waits in the queue longer than the tail sampler's decision_wait
 * (shortened to DECISION_WAIT through the collector config's env expansion) before a worker exists.
 * Then Tempo's address is taken away while traces flow and OtelCollectorExportFailing, from a
 * second Prometheus on time-scaled rules, reaches the Slack receiver through Alertmanager.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { allDashboards } from '../../grafana/dashboards';
import { substitute, targetsOf, type PanelTarget, type VariableValues } from '../../grafana/lib/targets';
import { ATTEMPT_SPANS } from '../../grafana/overview/jobs';
import type { PrometheusConfigOptions } from '../../prometheus/prometheus-config';
import { ALERTS_FILE, alertRules, RECORDING_FILE } from '../../prometheus/runbooks';
import { scaleRuleFile } from '../../prometheus/time-scale';
import {
  freePortPlan,
  type PortPlan,
  type RunningPart,
  stackBin,
  startAlertmanager,
  startCollector,
  startPrometheus,
} from '../../stack/launch';
import { startWebhookReceiver, type WebhookReceiver } from '../support/alertmanager';
import { getJob, submitJob, tinyDeck, waitForStatus, type ApiJob } from '../support/jobs';
import { spanAttribute, type OtlpSpan } from '../support/otlp-receiver';
import { startOtlpTap, type OtlpTap } from '../support/otlp-tap';
import { freePort, waitFor } from '../support/ports';
import { prometheusClient } from '../support/prometheus';
import { exposedNames, seriesNames } from '../support/series-names';
import { startService, type RunningService } from '../support/service';
import { startTempoEndpoint, type TempoEndpoint } from '../support/tempo-endpoint';

const KIND = { SERVER: 2, PRODUCER: 4, CONSUMER: 5 };
const STATUS_ERROR = 2;
/** The tail sampler's decision_wait for this run (60s in production). */
const DECISION_WAIT_SECONDS = 3;
const ENVIRONMENT = 'e2e-stack';
const MEMORY_LIMIT = 2 * 1024 ** 3;
/** Rules divided by this for the alert that fires end to end: 5m → 5s, for 15m → 15s. */
const TIME_FACTOR = 60;

interface ScenarioJob {
  name: 'completed' | 'failed' | 'retried' | 'cancelled' | 'late' | 'redis';
  layout: 'embedded' | 'redis';
  job: ApiJob;
}

let dir = '';
let plan: PortPlan;
let tap: OtlpTap | undefined;
let tempo: TempoEndpoint | undefined;
let receiver: WebhookReceiver | undefined;
let assets: http.Server | undefined;
const parts: RunningPart[] = [];
let collector: RunningPart | undefined;
let alertmanager: RunningPart | undefined;
let prometheus: RunningPart | undefined;
const services: RunningService[] = [];
const jobs: ScenarioJob[] = [];
/** Ports of the services, chosen first: Prometheus scrapes them from its start. */
const servicePorts = { embedded: 0, api: 0, workers: [0, 0] };
let startedAt = 0;
/** The collector's /metrics once the scenario is over, before anything is broken. */
let healthyCollectorMetrics = '';

const prom = () => prometheusClient(prometheus!.urls.http);

/** Serves a PNG, a 404, and a PNG that fails with 503 on its first request (a retryable fetch error). */
async function startAssets(png: Buffer): Promise<{ server: http.Server; url: string }> {
  let flakyRequests = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/missing.png') return void res.writeHead(404).end();
    if (req.url === '/flaky.png' && flakyRequests++ === 0) return void res.writeHead(503).end();
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const withImage = (title: string, imageUrl: string) =>
  tinyDeck(title, 1, 1, { slides: [{ title, content: 'x', duration: 1, transition: 'none', imageUrl }] });

/** A deck whose encode runs long enough to be cancelled in the middle of it. */
const longDeck = {
  title: 'cancelled during encode',
  slides: [{ title: 'long', content: 'a long slide', duration: 600, transition: 'none' }],
  config: { width: 1920, height: 1080, fps: 30, quality: 'high' },
};

/** OTLP through the tap, http/json so the tap can read what the SDK sent; a short batch delay. */
function telemetryEnv(port: number): Record<string, string> {
  return {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: tap!.url,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    // service.instance.id is the address Prometheus scrapes, as compose does: pushed span metrics
    // and scraped series of one process share `instance`.
    OTEL_RESOURCE_ATTRIBUTES: `deployment.environment.name=${ENVIRONMENT},service.instance.id=127.0.0.1:${port}`,
    RENDER_MEMORY_LIMIT_BYTES: String(MEMORY_LIMIT),
    RENDER_MAX_ATTEMPTS: '2',
    RENDER_BACKOFF_MS: '300',
    // Every read traced: the status polls keep spans flowing while Tempo is taken away.
    RENDER_TRACE_READ_RATIO: '1',
  };
}

/** The prometheus.yml targets of this run's services (the launcher's loopback variant knows one API). */
function withServices(o: PrometheusConfigOptions): PrometheusConfigOptions {
  return {
    ...o,
    targets: {
      ...o.targets,
      api: [servicePorts.embedded, servicePorts.api].map((p) => `127.0.0.1:${p}`),
      workers: servicePorts.workers.map((p) => `127.0.0.1:${p}`),
      // Tempo's own metrics: no Tempo here (README, "Stack parts").
      tempo: [],
    },
    scrapeInterval: '1s',
    evaluationInterval: '1s',
  };
}

/** The tap's spans of one trace (what the SDK exported). */
const exported = (traceId: string) => tap!.spans().filter((s) => s.traceId === traceId);

/** Waits until the SDK has exported the job's trace as far as its final state implies. */
async function waitForExportedTrace(j: ScenarioJob): Promise<void> {
  const id = j.job.traceId!;
  await waitFor(
    `the ${j.name} job's spans at the tap`,
    () => {
      const spans = exported(id);
      const consumers = spans.filter((s) => s.kind === KIND.CONSUMER).length;
      return spans.some((s) => s.kind === KIND.SERVER && s.name === 'POST /api/jobs') && consumers === j.job.attempts;
    },
    30_000,
    200,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-stack-'));
  plan = await freePortPlan();
  servicePorts.embedded = plan.api;
  servicePorts.api = await freePort();
  servicePorts.workers = [await freePort(), await freePort()];
  const png = path.join(dir, 'slide.png');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=navy:s=64x48', '-frames:v', '1', png]);
  const served = await startAssets(readFileSync(png));
  assets = served.server;
  receiver = await startWebhookReceiver();

  // Dependency order, as startStack: Alertmanager, Prometheus, "Tempo", the collector.
  alertmanager = await startAlertmanager({
    dir: path.join(dir, 'alertmanager'),
    ports: plan,
    alertmanager: { slack: { url: `${receiver.url}/slack` }, groupWait: '1s', groupInterval: '1s' },
  });
  parts.push(alertmanager);
  prometheus = await startPrometheus({ dir: path.join(dir, 'prometheus'), ports: plan, adjust: withServices });
  parts.push(prometheus);
  tempo = await startTempoEndpoint(stackBin('otelcol'), plan.tempo.otlpGrpc);
  collector = await startCollector({
    dir: path.join(dir, 'collector'),
    ports: plan,
    env: {
      OTELCOL_DECISION_WAIT: `${DECISION_WAIT_SECONDS}s`,
      // A failed export counts once its retries are given up: after 30s (the least the collector
      // accepts with its 30s max_interval) instead of 5 minutes.
      OTELCOL_EXPORT_RETRY_MAX_ELAPSED: '30s',
    },
  });
  parts.push(collector);
  tap = await startOtlpTap(collector.urls.otlpHttp);
  startedAt = Math.floor(Date.now() / 1000) - 5;

  // Embedded: one process, API and worker.
  const embedded = await startService({ port: servicePorts.embedded, telemetry: true, env: telemetryEnv(servicePorts.embedded) });
  services.push(embedded);
  // API + 2 workers on Redis; the workers start only once the late job has outwaited the decision.
  const redisUrl = process.env.REDIS_TEST_URL;
  assert.ok(redisUrl, 'REDIS_TEST_URL is not set: run through scripts/with-redis.sh (make test does)');
  const redisEnv = { REDIS_URL: redisUrl, RENDER_QUEUE_NAME: `stack-${randomUUID().slice(0, 8)}` };
  const api = await startService({
    entry: 'services/api/main.ts',
    port: servicePorts.api,
    telemetry: true,
    dataDir: mkdtempSync(path.join(dir, 'api-')),
    env: { ...telemetryEnv(servicePorts.api), ...redisEnv },
  });
  services.push(api);

  const submit = async (name: ScenarioJob['name'], layout: ScenarioJob['layout'], url: string, deck: unknown) => {
    const job = await submitJob(url, deck);
    jobs.push({ name, layout, job });
    return job;
  };
  const lateSubmittedAt = Date.now();
  await submit('late', 'redis', api.url, tinyDeck('late job'));
  await submit('completed', 'embedded', embedded.url, tinyDeck('completed job'));
  await submit('failed', 'embedded', embedded.url, withImage('failed for good', `${served.url}/missing.png`));
  await submit('retried', 'embedded', embedded.url, withImage('retried to success', `${served.url}/flaky.png`));
  const cancelled = await submit('cancelled', 'embedded', embedded.url, longDeck);
  await waitFor(
    'the long job to reach its encode',
    async () => (await getJob(embedded.url, cancelled.id)).stage === 'encode',
    120_000,
    100,
  );
  assert.equal((await fetch(`${embedded.url}/api/jobs/${cancelled.id}`, { method: 'DELETE' })).status, 200);

  // decision_wait and a batch of the collector (2s) after the late job's first spans, then its workers.
  await waitFor(
    'the late job to outwait the sampling decision',
    () => Date.now() - lateSubmittedAt > (DECISION_WAIT_SECONDS + 4) * 1000,
    30_000,
    200,
  );
  for (const [n, port] of servicePorts.workers.entries()) {
    services.push(
      await startService({
        entry: 'services/worker/main.ts',
        port,
        telemetry: true,
        dataDir: mkdtempSync(path.join(dir, `worker-${n + 1}-`)),
        env: { ...telemetryEnv(port), ...redisEnv },
      }),
    );
  }
  await submit('redis', 'redis', api.url, tinyDeck('redis job'));

  for (const j of jobs) {
    const url = j.layout === 'embedded' ? embedded.url : api.url;
    await waitForStatus(url, j.job.id, ['completed', 'failed', 'cancelled'], 180_000);
    j.job = await getJob(url, j.job.id);
  }
  for (const j of jobs) await waitForExportedTrace(j);
});

afterAll(async () => {
  for (const s of services.reverse()) {
    await s.stop();
    s.cleanup();
  }
  await tap?.close();
  for (const p of parts.reverse()) await p.stop();
  await tempo?.close();
  await receiver?.stop();
  await new Promise<void>((r) => (assets ? assets.close(() => r()) : r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const byName = (name: ScenarioJob['name']) => {
  const j = jobs.find((x) => x.name === name);
  assert.ok(j, `no ${name} job`);
  return j;
};

describe('the scenario', () => {
  test('every job ended as planned', () => {
    const outcome = Object.fromEntries(jobs.map((j) => [j.name, [j.job.status, j.job.attempts]]));
    assert.deepEqual(outcome, {
      late: ['completed', 1],
      completed: ['completed', 1],
      failed: ['failed', 1],
      retried: ['completed', 2],
      cancelled: ['cancelled', 1],
      redis: ['completed', 1],
    });
    for (const j of jobs) assert.match(j.job.traceId ?? '', /^[0-9a-f]{32}$/, j.name);
  });
});

describe('traces: every job is one whole trace at Tempo', () => {
  /** Waits until every span the SDK exported for the job has reached Tempo's address; returns them. */
  async function atTempo(j: ScenarioJob): Promise<OtlpSpan[]> {
    const id = j.job.traceId!;
    const want = new Set(exported(id).map((s) => s.spanId));
    await waitFor(
      `the ${j.name} job's ${want.size} spans at Tempo`,
      () => {
        const got = new Set(tempo!.trace(id).map((s) => s.spanId));
        return [...want].every((s) => got.has(s));
      },
      // decision_wait, the batch processor's 2s, and a loaded machine.
      60_000,
      250,
    );
    return tempo!.trace(id);
  }

  test('no span the SDK exported is missing, and none is there twice or from elsewhere', { timeout: 120_000 }, async () => {
    for (const j of jobs) {
      const spans = await atTempo(j);
      const sent = exported(j.job.traceId!)
        .map((s) => s.spanId)
        .sort();
      assert.deepEqual(
        spans.map((s) => s.spanId).sort(),
        sent,
        `${j.name}: Tempo got ${spans.length} spans, the SDK exported ${sent.length}`,
      );
      for (const s of tempo!.spans().filter((x) => spanAttribute(x, 'render.job.id') === j.job.id)) {
        assert.equal(s.traceId, j.job.traceId, `${j.name}: span ${s.name} of the job is in another trace`);
      }
    }
  });

  test('request, enqueue, every attempt, the stages and the FFmpeg span with its progress events', { timeout: 120_000 }, async () => {
    for (const j of jobs) {
      const spans = await atTempo(j);
      const byId = new Map<string, OtlpSpan>(spans.map((s) => [s.spanId, s]));
      const server = spans.find((s) => s.kind === KIND.SERVER && s.name === 'POST /api/jobs');
      assert.ok(server, `${j.name}: no POST /api/jobs SERVER span: ${spans.map((s) => s.name).join(', ')}`);
      const producer = spans.find((s) => s.kind === KIND.PRODUCER);
      assert.ok(producer, `${j.name}: no PRODUCER span`);
      const ancestors = (s: OtlpSpan) => {
        const out: OtlpSpan[] = [];
        for (let cur = byId.get(s.parentSpanId ?? ''); cur; cur = byId.get(cur.parentSpanId ?? '')) out.push(cur);
        return out;
      };
      assert.ok(ancestors(producer).includes(server), `${j.name}: the enqueue is under the request`);
      const consumers = spans.filter((s) => s.kind === KIND.CONSUMER);
      assert.equal(consumers.length, j.job.attempts, `${j.name}: one CONSUMER span per attempt`);
      for (const c of consumers) assert.equal(c.parentSpanId, producer.spanId, `${j.name}: an attempt is a child of the enqueue`);
      const attempts = consumers.map((c) => spanAttribute(c, 'render.job.attempt')).sort();
      assert.deepEqual(
        attempts,
        Array.from({ length: j.job.attempts }, (_, i) => i + 1),
        j.name,
      );
      const underAttempt = (s: OtlpSpan) => {
        for (let cur: OtlpSpan | undefined = s; cur; cur = byId.get(cur.parentSpanId ?? '')) if (cur.kind === KIND.CONSUMER) return true;
        return false;
      };
      const stages = spans.filter((s) => spanAttribute(s, 'render.stage') !== undefined);
      assert.ok(stages.length >= 1 && stages.every(underAttempt), `${j.name}: stage spans under an attempt`);
      if (j.job.status === 'completed') {
        const encode = spans.find((s) => s.name === 'ffmpeg encode');
        assert.ok(encode && underAttempt(encode), `${j.name}: the FFmpeg encode span under the attempt`);
        const progress = (encode.events ?? []).filter((e) => e.name === 'render.ffmpeg.progress');
        assert.ok(progress.length >= 1, `${j.name}: no FFmpeg progress event`);
      }
      if (j.layout === 'redis') {
        assert.equal(server.service, 'render-api', j.name);
        assert.equal(producer.service, 'render-api', j.name);
        assert.ok(
          consumers.every((c) => c.service === 'render-worker'),
          j.name,
        );
      } else {
        assert.ok(
          spans.every((s) => s.service === 'render-o11y'),
          j.name,
        );
      }
    }
  });

  test('the late job is whole although its worker spans came after the sampling decision', { timeout: 60_000 }, async () => {
    const late = byName('late');
    const spans = await atTempo(late);
    const consumer = spans.find((s) => s.kind === KIND.CONSUMER);
    const producer = spans.find((s) => s.kind === KIND.PRODUCER);
    assert.ok(consumer && producer);
    const startNs = (s: OtlpSpan) => BigInt(String((s as unknown as { startTimeUnixNano: string }).startTimeUnixNano));
    const waitedMs = Number((startNs(consumer) - startNs(producer)) / 1_000_000n);
    assert.ok(waitedMs > DECISION_WAIT_SECONDS * 1000, `the late job waited ${waitedMs} ms in the queue`);
    // Its worker spans came after the decision and followed the cached one (the decision cache).
    const released = await prom().query(
      'sum(otelcol_processor_tail_sampling_early_releases_from_cache_decision{job="otel-collector", sampled="true"})',
    );
    assert.ok(Number(released[0]?.value[1]) > 0, 'spans released by the cached sampling decision');
  });

  test('the failed job reaches Tempo with its error status (what TraceQL `{ status = error }` finds)', { timeout: 60_000 }, async () => {
    const failed = byName('failed');
    const spans = await atTempo(failed);
    const errors = spans.filter((s) => Number(s.status?.code) === STATUS_ERROR);
    assert.ok(errors.length > 0, 'an ERROR span in the failed job');
    assert.ok(errors.some((s) => s.kind === KIND.CONSUMER || spanAttribute(s, 'render.stage') !== undefined));
    const completed = await atTempo(byName('completed'));
    assert.ok(
      completed.every((s) => Number(s.status?.code) !== STATUS_ERROR),
      'no ERROR span in the completed job',
    );
  });

  test('nothing that can carry secrets reaches Tempo', () => {
    for (const s of tempo!.spans()) {
      for (const a of s.attributes ?? []) {
        assert.doesNotMatch(a.key, /^http\.(request|response)\.header\./, `${s.name}: ${a.key}`);
        assert.ok(!['url.query', 'db.statement', 'db.query.text'].includes(a.key), `${s.name}: ${a.key}`);
        if (a.key === 'url.full') assert.doesNotMatch(String(a.value.stringValue), /\?/, `${s.name}: ${a.key}`);
      }
    }
  });
});

describe('span metrics and the service graph in Prometheus 3', () => {
  const has = async (expr: string, what: string, timeoutMs = 90_000) =>
    waitFor(what, async () => (await prom().query(expr)).length > 0, timeoutMs, 1000);

  test('span metrics of both layouts, under the names the dashboards query', { timeout: 120_000 }, async () => {
    await has('traces_span_metrics_calls_total{service_name="render-api", span_kind="SPAN_KIND_SERVER"}', 'API request span metrics');
    await has(
      'traces_span_metrics_calls_total{service_name="render-o11y", span_kind="SPAN_KIND_CONSUMER"}',
      'embedded attempt span metrics',
    );
    await has(`${ATTEMPT_SPANS.replace('}', ', service_name="render-worker"}')}`, 'worker attempt duration buckets');
    await has('traces_span_metrics_calls_total{status_code="STATUS_CODE_ERROR"}', 'error span metrics');
    const stage = await prom().query('sum by (render_stage) (traces_span_metrics_calls_total{render_stage!=""})');
    assert.ok(stage.length >= 2, `span metrics by render.stage: ${JSON.stringify(stage.map((s) => s.metric))}`);
  });

  test('the API → worker edge of the service graph', { timeout: 120_000 }, async () => {
    await has(
      'traces_service_graph_request_total{client="render-api", server="render-worker", connection_type="messaging_system"}',
      'the API → worker edge',
    );
    await has('traces_service_graph_request_server_seconds_bucket{client="render-api", server="render-worker"}', 'edge latency buckets');
  });

  test('every exemplar of render_duration_seconds in the window names a trace Tempo got', { timeout: 60_000 }, async () => {
    const end = Math.ceil(Date.now() / 1000) + 60;
    const series = (await prom().api(
      `/api/v1/query_exemplars?query=${encodeURIComponent('render_duration_seconds_bucket')}&start=${startedAt}&end=${end}`,
    )) as { exemplars: { labels: Record<string, string> }[] }[];
    const ids = new Set(series.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id)));
    assert.ok(ids.size >= 2, `exemplars: ${JSON.stringify(series)}`);
    const which = (id: string) => jobs.find((j) => j.job.traceId === id)?.name ?? 'no job of this scenario';
    // A trace is at Tempo once the tail sampler has decided on it (decision_wait) and batched it.
    for (const id of ids) {
      await waitFor(`exemplar trace ${id} (${which(id)}) at Tempo`, () => tempo!.trace(id).length > 0, 30_000, 250);
    }
    const jobTraces = new Set(jobs.map((j) => j.job.traceId));
    assert.ok(
      [...ids].every((id) => jobTraces.has(id)),
      "exemplars name this scenario's jobs",
    );
  });
});

/** Grafana's variables as a user with everything selected would have them (Grafana itself cannot run here). */
const VARIABLES: VariableValues = {
  datasource: 'prometheus',
  environment: '.*',
  instance: '.*',
  __rate_interval: '1m',
  __interval: '15s',
  __range: '10m',
  runbook_base: 'https://example.invalid/runbooks',
};

/** Panels that must show data after this scenario (first query of each). */
const MUST_HAVE_DATA: Record<string, string[]> = {
  'render-overview.json': [
    'Firing alerts',
    'Submitted',
    'Completed',
    'Failed',
    'Cancelled',
    'Success rate (SLO 99%)',
    'Average render duration',
    'Throughput by outcome',
    'Render duration (mean, p50, p95, p99)',
    'Render duration p95 by outcome',
    'Attempt duration p95 from traces',
    'Queue size by state',
    'Oldest waiting job age',
    'Queue wait time (p50, p95)',
    'Jobs in progress',
    'Job progress updates',
    'Waiting jobs',
    'Retries in range',
    'Errors by category',
    'Errors by category (time range)',
    'Stage durations (all stages)',
    'Stage duration p95 by stage',
    'Encode speed (median, × real time)',
    'Video produced',
    'Cost per rendered minute',
    'Error budget left (30d)',
    'Burn rate (1h)',
    'API 5xx ratio',
    'Queue wait p95',
    'Workers alive',
    'Burn rate',
    'API requests by status',
    'API latency p95',
    'Process memory',
    'Memory vs limit',
    'Free disk space',
    'Overdue jobs',
    'Event-loop delay p99',
    'Uptime',
    'Versions',
    'Success rate vs SLO',
    'Firing alerts (Prometheus)',
    'Piece cache hit ratio by kind',
    'Piece cache lookups',
    'Piece cache bytes',
  ],
  'telemetry-pipeline.json': [
    'Spans accepted / refused by receivers',
    'Spans sent / failed by exporters',
    'Metric points into the pipeline / sent / failed',
    'Exporter queue fill',
    'Spans dropped or refused by processors',
    'Tail sampling decisions',
    'Late spans after the sampling decision',
    'Span-derived request rate by service',
    'Service graph edges',
    'Targets down',
    'Scrape targets up',
    'Rule evaluation failures',
    'TSDB head series',
    'Alertmanager notifications',
    'Alertmanager alerts by state',
  ],
};

/** Panels this scenario cannot feed, and why. */
const NO_DATA_HERE: Record<string, string> = {
  'Tempo spans received': "Tempo's own metrics: Tempo cannot be built here",
  'SDK export failures': 'the SDK exports without failing on the happy path',
  'SDK spans dropped': 'the SDK drops nothing on the happy path',
  'Webhook deliveries': 'the scenario has no webhook',
};

describe('dashboards on Prometheus 3', () => {
  async function run(t: PanelTarget): Promise<unknown[]> {
    const expr = substitute(String(t.target.expr), VARIABLES);
    assert.doesNotMatch(expr, /\$/, `${t.dashboard} / ${t.panel}: unsubstituted variable in ${expr}`);
    try {
      if (t.target.instant) return await prom().query(expr);
      const end = Math.floor(Date.now() / 1000);
      const data = await prom().api(`/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${end - 600}&end=${end}&step=5`);
      return data.result as unknown[];
    } catch (err) {
      throw new Error(`${t.dashboard} / ${t.panel} (${t.target.refId}): ${String(err)}\n  ${expr}`);
    }
  }
  const promTargets = (file: string) => targetsOf(allDashboards()[file]).filter((t) => t.datasource.type === 'prometheus');

  test('every PromQL query of both dashboards runs without error', { timeout: 120_000 }, async () => {
    const all = Object.keys(allDashboards()).flatMap(promTargets);
    assert.ok(all.length > 40, `only ${all.length} Prometheus queries`);
    for (const t of all) await run(t);
  });

  test('every panel this scenario feeds returns data, the collector panels included', { timeout: 180_000 }, async () => {
    // Span metrics flush every 15s, the service graph every 60s, and a rate() panel needs two samples
    // of its series in its window: poll until every panel has data (or the wait runs out), then say which have none.
    const panelsWithoutData = async (): Promise<string[]> => {
      const missing: string[] = [];
      for (const [file, titles] of Object.entries(MUST_HAVE_DATA)) {
        const targets = promTargets(file);
        for (const title of titles) {
          const first = targets.find((t) => t.panel === title && (t.target.refId ?? 'A') === 'A');
          assert.ok(first, `${file}: no panel titled ${title}`);
          if ((await run(first)).length === 0) missing.push(`${file} / ${title}: ${substitute(String(first.target.expr), VARIABLES)}`);
        }
      }
      return missing;
    };
    let missing = await panelsWithoutData();
    for (const deadline = Date.now() + 120_000; missing.length > 0 && Date.now() < deadline; missing = await panelsWithoutData()) {
      await new Promise((r) => setTimeout(r, 2000));
    }
    assert.deepEqual(missing, []);
    // Every Prometheus panel is either fed here or said why not.
    for (const file of Object.keys(MUST_HAVE_DATA)) {
      for (const t of promTargets(file).filter((x) => (x.target.refId ?? 'A') === 'A')) {
        assert.ok(MUST_HAVE_DATA[file].includes(t.panel) || t.panel in NO_DATA_HERE, `${file} / ${t.panel}: neither checked nor excused`);
      }
    }
  });

  test('the environment and instance variables find the services through target_info', { timeout: 30_000 }, async () => {
    const vars = (allDashboards()['render-overview.json'].templating?.list ?? []) as { name: string; query?: unknown }[];
    const labelValues = async (name: string, env: string) => {
      const q = (vars.find((v) => v.name === name)!.query as { query: string }).query;
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(substitute(q, { environment: env }));
      assert.ok(m, `${name}: unexpected variable query ${q}`);
      return (await prom().api(`/api/v1/label/${m[2]}/values?match[]=${encodeURIComponent(m[1])}`)) as string[];
    };
    assert.ok((await labelValues('environment', '.*')).includes(ENVIRONMENT));
    const scraped = (await prom().query('up{job=~"render-api|render-worker"}')).map((s) => s.metric.instance).sort();
    assert.equal(scraped.length, 4);
    // The instances a user can pick are the scraped ones, which the panels filter on.
    assert.deepEqual((await labelValues('instance', ENVIRONMENT)).sort(), scraped);
    assert.deepEqual(await labelValues('instance', 'some-other-environment'), []);
  });

  test('annotation queries run, and the versions come from render_build_info', { timeout: 60_000 }, async () => {
    for (const [file, d] of Object.entries(allDashboards())) {
      for (const a of (d.annotations?.list ?? []) as { name?: string; expr?: string; builtIn?: number }[]) {
        if (a.builtIn === 1) continue;
        const expr = substitute(String(a.expr), VARIABLES);
        const end = Math.floor(Date.now() / 1000);
        await prom()
          .api(`/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${end - 300}&end=${end}&step=15`)
          .catch((err) => {
            throw new Error(`${file} / annotation ${a.name}: ${String(err)}\n  ${expr}`);
          });
      }
    }
    const info = await prom().query('render_build_info');
    assert.equal(info.length, 4, 'embedded, API and two workers');
    for (const i of info) assert.equal(i.metric.node_version, process.versions.node);
  });
});

describe('rules and alerts on the real series', () => {
  test('every committed rule evaluates without error on Prometheus 3', { timeout: 60_000 }, async () => {
    type Groups = { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
    await waitFor('every rule evaluated', async () => {
      const data = (await prom().api('/api/v1/rules')) as Groups;
      return data.groups.every((g) => g.rules.every((r) => r.health !== 'unknown'));
    });
    const data = (await prom().api('/api/v1/rules')) as Groups;
    assert.ok(data.groups.flatMap((g) => g.rules).length >= 50);
    for (const g of data.groups) for (const r of g.rules) assert.equal(r.health, 'ok', `${g.name} / ${r.name}: ${r.lastError}`);
  });

  test("the app alerts' inputs return data and the alerts stay silent on this healthy stack", { timeout: 60_000 }, async () => {
    const inputs = [
      'up{job="render-api"} == 1',
      'render:http_errors:ratio_rate5m',
      'render:http_request_duration_seconds:p95_rate5m',
      'render:job_errors:ratio_rate5m',
      'render:queue_size:max{state="waiting"}',
      'render:jobs_finished:rate10m',
      'render:job_progress_updates:rate10m',
      'max by (job, instance) (render_jobs_overdue)',
      'render_storage_free_bytes',
      'sum by (job, instance) (resets(system_uptime[15m]))',
      'render:errors:rate5m',
      'up{job="render-worker"} == 1',
      'render_worker_last_heartbeat_timestamp_seconds',
    ];
    for (const expr of inputs) assert.ok((await prom().query(expr)).length > 0, `no data for ${expr}`);
    const memory = await prom().query(
      'max by (job, instance) (render_memory_usage_bytes) / max by (job, instance) (render_memory_limit_bytes)',
    );
    for (const m of memory) assert.ok(Number(m.value[1]) > 0 && Number(m.value[1]) < 0.9, JSON.stringify(m));
    for (const name of [
      'RenderApiDown',
      'RenderWorkerDown',
      'RenderApiLatencyHigh',
      'RenderMemoryNearLimit',
      'RenderJobHung',
      'RenderQueueStalled',
      'TelemetryExportFailing',
      'OtelCollectorExportFailing',
      'OtelCollectorQueueFull',
      'PrometheusRuleEvaluationFailures',
    ]) {
      for (const rule of alertRules().filter((r) => r.alert === name)) {
        assert.deepEqual(await prom().query(rule.expr), [], `${name} matches on a healthy stack: ${rule.expr}`);
      }
    }
  });

  test('the collector refused, failed and dropped nothing on the happy path', { timeout: 30_000 }, async () => {
    const value = (name: string) =>
      healthyCollectorMetrics
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    // What the services exported through the tap is what the collector's receiver accepted, read
    // at a moment when no export is under way (the services keep exporting in the background).
    let counts: number[] = [];
    await waitFor(
      'the tap and the collector to agree on the spans exported',
      async () => {
        const before = tap!.spans().length;
        healthyCollectorMetrics = await (await fetch(collector!.urls.metrics)).text();
        counts = [before, value('otelcol_receiver_accepted_spans'), tap!.spans().length];
        return counts[0] === counts[1] && counts[1] === counts[2];
      },
      20_000,
      50,
    ).catch((err) => assert.fail(`${String(err)}: tap before, collector accepted, tap after = ${counts.join(', ')}`));
    assert.ok(counts[1] > 0, 'the collector accepted spans');
    assert.equal(tap!.refused(), 0, 'no export request refused');
    for (const name of [
      'otelcol_receiver_refused_spans',
      'otelcol_receiver_failed_spans',
      'otelcol_exporter_send_failed_spans',
      'otelcol_exporter_send_failed_metric_points',
      'otelcol_exporter_enqueue_failed_spans',
      'otelcol_exporter_enqueue_failed_metric_points',
      'otelcol_processor_memory_limiter_refused_spans',
      'otelcol_processor_tail_sampling_sampling_trace_dropped_too_early',
    ]) {
      assert.equal(value(name), 0, `${name} on the happy path`);
    }
    assert.ok(value('otelcol_exporter_sent_metric_points') > 0, 'span metrics sent to Prometheus');
    assert.ok(value('otelcol_exporter_sent_spans') > 0, 'spans sent to Tempo');
  });

  test('Tempo taken away while traces flow: OtelCollectorExportFailing fires through Alertmanager to Slack', {
    timeout: 240_000,
  }, async () => {
    assert.ok(healthyCollectorMetrics, 'the happy-path check ran first');
    // A second Prometheus on time-scaled rules, scraping the same parts every second.
    const scaledDir = path.join(dir, 'prometheus-scaled');
    mkdirSync(scaledDir, { recursive: true });
    const ruleFiles = [RECORDING_FILE, ALERTS_FILE].map((file) => {
      const out = path.join(scaledDir, path.basename(file));
      writeFileSync(out, scaleRuleFile(readFileSync(file, 'utf8'), TIME_FACTOR));
      return out;
    });
    const scaledPart = await startPrometheus({
      dir: scaledDir,
      ports: { ...plan, prometheus: await freePort() },
      ruleFiles,
      adjust: withServices,
    });
    const scaled = prometheusClient(scaledPart.urls.http);
    try {
      await tempo!.stop();
      const embedded = services[0];
      const failures = async () =>
        (await scaled.query('sum(otelcol_exporter_send_failed_spans{job="otel-collector", exporter="otlp_grpc/tempo"})')).length;
      let flowing = true;
      // Status polls are traced (RENDER_TRACE_READ_RATIO=1): spans keep coming while Tempo is gone.
      const traffic = (async () => {
        while (flowing) {
          await fetch(`${embedded.url}/api/jobs?limit=1`).catch(() => undefined);
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      const slack = () =>
        (receiver?.posts ?? []).filter(
          (p) =>
            p.path === '/slack' &&
            p.body?.attachments?.some((a: any) => /FIRING/.test(a.title) && a.title.includes('OtelCollectorExportFailing')),
        );
      try {
        await waitFor('the collector to count failed exports to Tempo', async () => (await failures()) > 0, 60_000, 500);
        await waitFor('OtelCollectorExportFailing in Slack', () => slack().length > 0, 120_000, 500);
      } finally {
        flowing = false;
        await traffic;
      }
      const firing = ((await scaled.api('/api/v1/alerts')).alerts as { labels: Record<string, string>; state: string }[]).find(
        (a) => a.labels.alertname === 'OtelCollectorExportFailing' && a.state === 'firing',
      );
      assert.equal(firing?.labels.exporter, 'otlp_grpc/tempo');
      assert.equal(firing?.labels.severity, 'warning');
      assert.match(JSON.stringify(slack()[0].body), /otlp_grpc\/tempo/);
    } finally {
      await scaledPart.stop();
    }
  });
});

describe('every self-metric a rule or dashboard reads is a series the real process exposes', () => {
  /**
   * Counters the pinned collector creates at their first event only (exporterhelper adds a failure
   * only when there is one), with the event that creates them. The ones this run causes are checked
   * live after it; the others are looked for in the binary the tests run.
   */
  const BORN_AT_EVENT: Record<string, string> = {
    otelcol_exporter_send_failed_spans: 'an export given up (Tempo taken away above)',
    otelcol_exporter_send_failed_metric_points: 'an export to Prometheus given up',
    otelcol_exporter_send_failed_log_records: 'a log export given up (no logs pipeline yet)',
    otelcol_exporter_enqueue_failed_spans: 'a full sending queue',
    otelcol_exporter_enqueue_failed_metric_points: 'a full sending queue',
    otelcol_exporter_enqueue_failed_log_records: 'a full sending queue',
    otelcol_processor_memory_limiter_refused_spans: 'a memory_limiter refusal',
    otelcol_processor_tail_sampling_sampling_late_span_age_bucket:
      'a late span of a trace still in memory (the decision cache takes the others)',
  };
  const exprs = () => [
    ...alertRules().map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
    ...Object.values(allDashboards())
      .flatMap(targetsOf)
      .filter((t) => t.datasource.type === 'prometheus')
      .map((t) => ({ where: `${t.dashboard} / ${t.panel}`, expr: String(t.target.expr) })),
  ];

  test('collector, Prometheus and Alertmanager names, from their live /metrics', { timeout: 60_000 }, async () => {
    const collectorNow = exposedNames(await (await fetch(collector!.urls.metrics)).text());
    const live: Record<string, Set<string>> = {
      otelcol_: new Set([...exposedNames(healthyCollectorMetrics), ...collectorNow]),
      prometheus_: exposedNames(await (await fetch(`${prom().url}/metrics`)).text()),
      alertmanager_: exposedNames(await (await fetch(`${alertmanager!.urls.http}/metrics`)).text()),
    };
    const binary = readFileSync(stackBin('otelcol')).toString('latin1');
    const problems: string[] = [];
    for (const { where, expr } of exprs()) {
      for (const [prefix, names] of Object.entries(live)) {
        for (const name of seriesNames(expr, [prefix])) {
          if (names.has(name)) continue;
          // A histogram's family name is in the binary; _bucket/_sum/_count are added on exposition.
          const family = name.replace(/_(bucket|sum|count)$/, '');
          if (name in BORN_AT_EVENT && binary.includes(family) && !binary.includes(`${family}_total`)) continue;
          problems.push(`${where}: ${name}`);
        }
      }
    }
    assert.deepEqual(problems, [], 'names no live process exposes');
    // The failures the run caused are on the collector's /metrics now, under the names the rules read.
    assert.ok(collectorNow.has('otelcol_exporter_send_failed_spans'));
    // Every excused name is still read somewhere.
    const read = new Set(exprs().flatMap(({ expr }) => seriesNames(expr, ['otelcol_'])));
    for (const name of Object.keys(BORN_AT_EVENT)) assert.ok(read.has(name), `${name} is excused but nothing reads it`);
  });
});
