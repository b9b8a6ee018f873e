/**
 * Differential test against the stock exporter: for one SDK collection, our Prometheus text
 * (toFamilies + renderPrometheusText, what PullMetricReader serves) and @opentelemetry/exporter-prometheus's
 * PrometheusSerializer must parse to the same families, types, help, samples and values. They
 * legitimately differ only in what is dropped before comparing: `target_info` (ours carries only
 * safe resource attributes), `otel_scope_*` labels (the stock one adds them to every sample), and
 * exemplars (only our OpenMetrics output has them). Third-party instruments with a real unit also
 * differ by design: ours appends the unit suffix the OTel Prometheus compatibility spec asks for
 * (prometheus-names.test.ts), so this test gives its third-party instruments annotation-only units.
 */
import assert from 'node:assert/strict';
import { metrics, trace } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  observeHeartbeat,
  observeQueue,
  recordEncode,
  recordError,
  recordInProgress,
  recordJobStatus,
  recordQueueWait,
  recordRenderDuration,
  recordSpansDropped,
  recordStageDuration,
  recordTelemetryExportFailure,
  recordWebhook,
} from '../services/telemetry/metrics';
import { differences, type ParsedFamily, parseExposition } from '../test/support/prometheus-exposition';
import { toFamilies } from './metric-families';
import { renderPrometheusText } from './prometheus-text';
import { installTestTelemetry, type TestTelemetry } from '../test/support/telemetry';

const DROP = { dropFamilies: ['target_info'], dropLabelPrefixes: ['otel_scope_'] };

let t: TestTelemetry;
let collected: ResourceMetrics;
let ours: Map<string, ParsedFamily>;
let stock: Map<string, ParsedFamily>;

/** Records through the app's metrics module (inside a sampled span, so exemplars are kept) and a third-party meter. */
function recordEverything(): void {
  trace.getTracer('differential').startActiveSpan('job', (span) => {
    for (const status of ['queued', 'processing', 'completed', 'completed', 'failed'] as const) recordJobStatus(status);
    recordRenderDuration('completed', 3);
    recordRenderDuration('completed', 4000);
    recordRenderDuration('failed', 0.25);
    recordError('network', false);
    recordError('timeout', true);
    recordQueueWait(0.3);
    recordStageDuration('encode', 2.5);
    recordStageDuration('fetch', 0.01);
    recordInProgress(1);
    recordInProgress(1);
    recordInProgress(-1);
    recordEncode(3.5, 12.25);
    recordWebhook('job.completed', 'delivered');
    recordWebhook('job.failed', 'failed');
    recordTelemetryExportFailure('traces', 4);
    recordSpansDropped(2);
    span.end();
  });
  observeQueue(async () => ({ waiting: 4, active: 1, delayed: 0, oldestWaitingAgeSeconds: 9.5, workersAlive: 2 }));
  observeHeartbeat(() => 1_700_000_000_123);

  // Third-party instruments: dotted names and keys, values that need escaping, non-string attributes.
  const meter = metrics.getMeter('differential-third-party', '1.2.3');
  const requests = meter.createCounter('demo.requests', { unit: '{request}', description: 'Requests "served"\nby \\ path.' });
  requests.add(2, { 'http.request.method': 'GET', 'url.path': '/a"b\\c\nd', 'http.response.status_code': 200 });
  requests.add(1, { 'http.request.method': 'POST', retry: true });
  const inFlight = meter.createUpDownCounter('demo.in_flight', { unit: '{request}', description: 'In flight.' });
  inFlight.add(3);
  inFlight.add(-5);
  const size = meter.createHistogram('demo.payload', {
    unit: '{item}',
    description: 'Items per payload.',
    advice: { explicitBucketBoundaries: [0.5, 1, 10, 100] },
  });
  for (const v of [0.1, 1, 1, 7, 250]) size.record(v, { kind: 'deck' });
  size.record(-2, { kind: 'empty' });
  const ratio = meter.createObservableGauge('demo.ratio', { unit: '{ratio}', description: 'A float gauge.' });
  ratio.addCallback((r) => {
    r.observe(-0.125, { side: 'left' });
    r.observe(1e-7, { side: 'right' });
  });
}

describe('our Prometheus text against the stock PrometheusSerializer', { timeout: 30_000 }, () => {
  beforeAll(async () => {
    t = installTestTelemetry();
    recordEverything();
    // One collection feeds both serializers, so observable values (memory, uptime) are the same.
    const { resourceMetrics, errors } = await t.reader.collect();
    assert.deepEqual(errors, []);
    collected = resourceMetrics;
    ours = parseExposition(renderPrometheusText(toFamilies(collected)), DROP);
    stock = parseExposition(new PrometheusSerializer().serialize(collected), DROP);
  });
  afterAll(() => t.shutdown());

  it('the collection covers every kind of series', () => {
    const types = new Set([...ours.values()].map((f) => f.type));
    assert.deepEqual([...types].sort(), ['counter', 'gauge', 'histogram']);
    assert.ok(ours.has('render_duration_seconds') && ours.has('demo_requests_total') && ours.has('telemetry_spans_dropped_total'));
  });

  it('the same families, types, help, samples and values', () => {
    assert.ok([...ours.values()].reduce((n, f) => n + f.samples.size, 0) > 50, 'enough samples to compare');
    assert.deepEqual(differences(ours, stock), []);
  });

  it('a changed value, a missing series or a different type is reported as a difference', () => {
    const text = renderPrometheusText(toFamilies(collected));
    const changed = parseExposition(text.replace(/^(render_jobs_total\{status="completed"\}) 2$/m, '$1 3'), DROP);
    assert.deepEqual(differences(changed, stock), ['render_jobs_total{status="completed"}: 3 vs 2']);
    const missing = parseExposition(text.replace(/^demo_in_flight .*\n/m, ''), DROP);
    assert.deepEqual(differences(missing, stock), ['demo_in_flight: family only in the second']);
    const retyped = parseExposition(text.replace('# TYPE demo_in_flight gauge', '# TYPE demo_in_flight untyped'), DROP);
    assert.deepEqual(differences(retyped, stock), ['demo_in_flight: type untyped vs gauge']);
  });
});
