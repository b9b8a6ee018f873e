import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { installTestTelemetry, type TestTelemetry } from '../../test/support/telemetry';
import { promtoolCheckMetrics } from '../../instrumentation/promtool';
import type { HistogramSample, MetricFamily, ScalarSample } from '../../instrumentation/metric-families';
import { trackActiveJob } from './active-jobs';
import { buildInfo } from './build-info';
import { cgroupOomKills } from './process-memory';
import {
  BUCKETS,
  METRIC_NAMES,
  observeHeartbeat,
  observeQueue,
  recordChildCpu,
  recordEncode,
  recordOutputSeconds,
  recordError,
  recordHttpServerRequest,
  recordProgressUpdate,
  recordPieceCacheSize,
  recordPieceLookup,
  recordRejectedDeck,
  setMemoryLimit,
  recordInProgress,
  recordJobStatus,
  recordQueueWait,
  recordRenderDuration,
  recordLogRecordsDropped,
  recordSpansDropped,
  recordStageDuration,
  recordStorageOperation,
  recordTelemetryExportFailure,
  recordWebhook,
} from './metrics';

let t: TestTelemetry;
let families: MetricFamily[];
let text: string;

const family = (name: string) => {
  const f = families.find((x) => x.name === name);
  assert.ok(f, `family ${name} missing; have ${families.map((x) => x.name).join(', ')}`);
  return f;
};
const scalar = (name: string, labels: Record<string, string> = {}) => {
  const f = family(name);
  assert.notEqual(f.type, 'histogram');
  const s = (f.samples as ScalarSample[]).find((x) => JSON.stringify(x.labels) === JSON.stringify(labels));
  assert.ok(s, `${name}${JSON.stringify(labels)} missing; have ${JSON.stringify(f.samples.map((x) => x.labels))}`);
  return s.value;
};
const histogram = (name: string, labels: Record<string, string> = {}): HistogramSample => {
  const f = family(name);
  assert.equal(f.type, 'histogram', `${name} type`);
  const s = (f.samples as HistogramSample[]).find((x) => JSON.stringify(x.labels) === JSON.stringify(labels));
  assert.ok(s, `${name}${JSON.stringify(labels)} missing`);
  return s;
};

describe('metrics module through the SDK and our serializer', { timeout: 30_000 }, () => {
  beforeAll(async () => {
    t = installTestTelemetry();
    recordJobStatus('queued');
    recordJobStatus('completed');
    recordJobStatus('completed');
    recordJobStatus('failed');
    recordRenderDuration('completed', 3);
    recordRenderDuration('completed', 45);
    recordRenderDuration('failed', 0.5);
    recordError('network', false);
    recordError('timeout', true);
    recordQueueWait(0.3);
    recordQueueWait(-1);
    recordStageDuration('encode', 2);
    recordStageDuration('fetch', 0.07);
    recordInProgress(1);
    recordInProgress(1);
    recordInProgress(-1);
    recordEncode(3, 12.5);
    recordEncode(null, 2);
    recordChildCpu('encode', 1.25);
    recordChildCpu('encode', 0.5);
    recordChildCpu('tts', 0.25);
    recordOutputSeconds(60);
    recordWebhook('job.completed', 'delivered');
    recordWebhook('job.failed', 'failed');
    recordStorageOperation('put', 'ok', 0.2);
    recordStorageOperation('read', 'not_found', 0.004);
    recordTelemetryExportFailure('traces', 7);
    recordSpansDropped(3);
    recordTelemetryExportFailure('logs', 5);
    recordLogRecordsDropped(2);
    observeQueue(async () => ({ waiting: 4, active: 1, delayed: 2, oldestWaitingAgeSeconds: 9, workersAlive: 3 }));
    observeHeartbeat(() => 1_700_000_000_000);
    recordHttpServerRequest('GET', '/api/jobs/:id', 200, 0.02);
    recordHttpServerRequest('GET', '/api/jobs/:id', 200, 0.3);
    recordHttpServerRequest('POST', '/api/jobs', 503, 0.004);
    recordHttpServerRequest('GET', undefined, 404, 0.001);
    recordProgressUpdate();
    recordProgressUpdate();
    recordPieceLookup('static', 'hit');
    recordPieceLookup('static', 'hit');
    recordPieceLookup('fade', 'miss');
    recordPieceLookup('audio', 'corrupt');
    recordPieceCacheSize(4096, 1024);
    recordPieceCacheSize(3072, 512);
    recordRejectedDeck('alice');
    setMemoryLimit(512 * 1024 * 1024);
    // One job 20 minutes into a 10-second video (overdue after 5m + 100s), one just started.
    trackActiveJob(10, Date.now() - 20 * 60_000);
    trackActiveJob(10);
    // render_build_info appears once FFmpeg has told its version (a child process, milliseconds).
    const deadline = Date.now() + 10_000;
    while (!buildInfo() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    families = await t.reader.families();
    text = (await t.reader.collector().prometheus()) as string;
  });
  afterAll(() => t.shutdown());

  it('counters get _total and keep their fixed-set labels', () => {
    assert.equal(family(METRIC_NAMES.jobs).type, 'counter');
    assert.equal(scalar(METRIC_NAMES.jobs, { status: 'completed' }), 2);
    assert.equal(scalar(METRIC_NAMES.jobs, { status: 'failed' }), 1);
    assert.equal(scalar(METRIC_NAMES.jobs, { status: 'queued' }), 1);
    assert.equal(scalar(METRIC_NAMES.errors, { category: 'network' }), 1);
    assert.ok(!text.includes('render_errors_total{category="timeout"}'), 'a retried attempt is not a job error');
    assert.equal(scalar(METRIC_NAMES.retries, { category: 'timeout' }), 1);
    assert.equal((family(METRIC_NAMES.retries).samples as ScalarSample[]).length, 1, 'a non-retried error is no retry');
    assert.equal(scalar(METRIC_NAMES.outputSeconds), 14.5);
    assert.equal(scalar(METRIC_NAMES.cpuSeconds, { stage: 'encode' }), 1.75);
    assert.equal(scalar(METRIC_NAMES.cpuSeconds, { stage: 'tts' }), 0.25);
    assert.equal(scalar(METRIC_NAMES.pieceCacheRequests, { kind: 'static', result: 'hit' }), 2);
    assert.equal(scalar(METRIC_NAMES.pieceCacheRequests, { kind: 'fade', result: 'miss' }), 1);
    assert.equal(scalar(METRIC_NAMES.pieceCacheRequests, { kind: 'audio', result: 'corrupt' }), 1);
    assert.equal(scalar(METRIC_NAMES.pieceCacheEvicted), 1536);
    assert.equal(scalar(METRIC_NAMES.pieceCacheBytes), 3072, 'the last pass is what the cache holds');
    assert.equal(scalar(METRIC_NAMES.encodedSeconds), 60);
    assert.equal(scalar(METRIC_NAMES.webhooks, { event: 'job.completed', outcome: 'delivered' }), 1);
    assert.equal(scalar(METRIC_NAMES.webhooks, { event: 'job.failed', outcome: 'failed' }), 1);
    assert.equal(scalar(METRIC_NAMES.telemetryExportFailures, { signal: 'traces' }), 1);
    assert.equal(scalar(METRIC_NAMES.telemetrySpansDropped), 10);
    assert.equal(scalar(METRIC_NAMES.telemetryExportFailures, { signal: 'logs' }), 1);
    assert.equal(scalar(METRIC_NAMES.telemetryLogRecordsDropped), 7, 'a failed log export counts its records, not as spans');
  });

  it('histograms carry their declared buckets, cumulative counts, sum and count', () => {
    const done = histogram(METRIC_NAMES.duration, { status: 'completed' });
    assert.deepEqual(done.bounds, BUCKETS.renderDuration);
    assert.deepEqual(done.cumulative, [0, 1, 1, 1, 2, 2, 2, 2, 2]);
    assert.equal(done.sum, 48);
    assert.equal(done.count, 2);
    assert.equal(histogram(METRIC_NAMES.duration, { status: 'failed' }).cumulative[0], 1);
    const wait = histogram(METRIC_NAMES.queueWait);
    assert.deepEqual(wait.bounds, BUCKETS.queueWait);
    assert.equal(wait.count, 2);
    assert.equal(wait.sum, 0.3, 'a negative wait is clamped to 0');
    assert.deepEqual(histogram(METRIC_NAMES.stageDuration, { stage: 'encode' }).bounds, BUCKETS.stageDuration);
    assert.equal(histogram(METRIC_NAMES.stageDuration, { stage: 'fetch' }).cumulative[1], 1);
    const speed = histogram(METRIC_NAMES.encodeSpeed);
    assert.deepEqual(speed.bounds, BUCKETS.encodeSpeed);
    assert.equal(speed.count, 1, 'an unknown speed is not recorded');
  });

  it('gauges and up-down counters are gauges with their values', () => {
    assert.equal(family(METRIC_NAMES.inProgress).type, 'gauge');
    assert.equal(scalar(METRIC_NAMES.inProgress), 1);
    assert.equal(scalar(METRIC_NAMES.queueSize, { state: 'waiting' }), 4);
    assert.equal(scalar(METRIC_NAMES.queueSize, { state: 'active' }), 1);
    assert.equal(scalar(METRIC_NAMES.queueSize, { state: 'delayed' }), 2);
    assert.equal(scalar(METRIC_NAMES.oldestAge), 9);
    assert.equal(scalar(METRIC_NAMES.workersAlive), 3);
    assert.equal(scalar(METRIC_NAMES.workerHeartbeat), 1_700_000_000);
    assert.ok(scalar(METRIC_NAMES.memory, { type: 'rss' }) > 1_000_000);
    for (const type of ['heap_used', 'heap_total', 'external']) assert.ok(scalar(METRIC_NAMES.memory, { type }) > 0);
    const uptime = scalar(METRIC_NAMES.uptime);
    assert.ok(uptime > 0 && uptime <= process.uptime(), `uptime ${uptime}`);
  });

  it('every name in METRIC_NAMES is exposed exactly once with HELP and TYPE', () => {
    // OOM kills come from a cgroup v2 memory.events; a host without one (this CI's cgroup v1) has no such series.
    const oomReadable = cgroupOomKills() !== undefined;
    for (const name of Object.values(METRIC_NAMES)) {
      if (name === METRIC_NAMES.oomKills && !oomReadable) {
        assert.doesNotMatch(text, /^render_oom_kills_total/m);
        continue;
      }
      assert.equal(text.split('\n').filter((l) => l.startsWith(`# TYPE ${name} `)).length, 1, name);
      assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'));
    }
    assert.match(text, /^render_jobs_total\{status="completed"\} 2$/m);
    assert.match(text, /^render_duration_seconds_bucket\{status="completed",le="5"\} 1$/m);
    assert.match(text, /^render_duration_seconds_bucket\{status="completed",le="\+Inf"\} 2$/m);
    assert.match(text, /^render_duration_seconds_count\{status="completed"\} 2$/m);
    assert.match(text, /^render_storage_operation_duration_seconds_bucket\{operation="put",outcome="ok",le="0\.25"\} 1$/m);
    assert.match(text, /^render_storage_operation_duration_seconds_count\{operation="read",outcome="not_found"\} 1$/m);
    assert.doesNotMatch(text, /otel_scope_name/);
  });

  it('http.server.request.duration: semantic-convention name and attributes, a small bucket set, every request', () => {
    const ok = histogram(METRIC_NAMES.httpServerDuration, {
      http_request_method: 'GET',
      http_response_status_code: '200',
      http_route: '/api/jobs/:id',
    });
    assert.deepEqual(ok.bounds, BUCKETS.httpServer);
    assert.ok(BUCKETS.httpServer.length <= 10);
    assert.equal(ok.count, 2);
    assert.equal(
      histogram(METRIC_NAMES.httpServerDuration, { http_request_method: 'POST', http_response_status_code: '503', http_route: '/api/jobs' })
        .count,
      1,
    );
    // No route matched: the attribute is left out (semantic conventions), not invented.
    assert.equal(histogram(METRIC_NAMES.httpServerDuration, { http_request_method: 'GET', http_response_status_code: '404' }).count, 1);
  });

  it('process figures: build info, memory against the limit, overdue jobs, progress', () => {
    const info = (family(METRIC_NAMES.buildInfo).samples as ScalarSample[])[0];
    assert.equal(info.value, 1);
    assert.equal(info.labels.node_version, process.versions.node);
    assert.match(info.labels.ffmpeg_version, /^\d+\.\d+/);
    assert.match(info.labels.version, /^\d+\.\d+\.\d+/);
    const usage = scalar(METRIC_NAMES.memoryUsage);
    assert.ok(usage >= scalar(METRIC_NAMES.memory, { type: 'rss' }) * 0.5, `usage ${usage} below the process's own RSS`);
    assert.equal(scalar(METRIC_NAMES.memoryLimit), 512 * 1024 * 1024);
    assert.equal(scalar(METRIC_NAMES.jobsOverdue), 1);
    assert.equal(scalar(METRIC_NAMES.progressUpdates), 2);
  });

  it('target_info carries identity but nothing from the host or command line', () => {
    const info = (family('target_info').samples as ScalarSample[])[0];
    assert.equal(info.labels.service_name, 'render-o11y');
    assert.equal(info.labels.deployment_environment_name, 'development');
    assert.match(info.labels.service_instance_id, /^[0-9a-f-]{36}$/);
    for (const key of Object.keys(info.labels))
      assert.doesNotMatch(key, /^(host_name|host_id|process_command|process_executable|process_owner)/);
  });

  it('the JSON view has the same values', async () => {
    const json = (await t.reader.collector().json()) as {
      metrics: { name: string; samples: { labels: Record<string, string>; value?: number }[] }[];
    };
    const jobs = json.metrics.find((m) => m.name === 'render_jobs_total');
    assert.equal(jobs?.samples.find((s) => s.labels.status === 'completed')?.value, 2);
  });

  it('passes the real promtool check metrics', { timeout: 20_000 }, () => {
    const r = promtoolCheckMetrics(text);
    assert.equal(r.status, 0, r.output);
    assert.equal(r.output, '', 'no lint warnings either');
  });
});
