import assert from 'node:assert/strict';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import type { HistogramSample } from '../../instrumentation/metric-families';
import { installTestTelemetry, type TestTelemetry } from '../../test/support/telemetry';
import { attributesKey, bucketIndex, exemplarsFor, recordExemplar, resetExemplars } from '../../telemetry-bridge/exemplars';
import { BUCKETS, METRIC_NAMES, recordJobStatus, recordQueueWait, recordRenderDuration, recordStageDuration } from './metrics';

let t: TestTelemetry;
const tracer = () => trace.getTracer('exemplars-test');

/** Runs `fn` inside a fresh sampled span and returns that span's ids. */
function inSpan(fn: () => void): { traceId: string; spanId: string } {
  return tracer().startActiveSpan('unit', (span) => {
    try {
      fn();
      return span.spanContext();
    } finally {
      span.end();
    }
  });
}

describe('exemplars', { timeout: 30_000 }, () => {
  beforeAll(() => {
    t = installTestTelemetry();
    recordJobStatus('queued'); // binds the metrics module to this provider before any exemplar is kept
  });
  afterAll(async () => t.shutdown());
  beforeEach(() => resetExemplars());

  it('bucketIndex follows the `le` rule: a value equal to a bound belongs to that bucket', () => {
    assert.equal(bucketIndex([1, 5], 0.2), 0);
    assert.equal(bucketIndex([1, 5], 1), 0);
    assert.equal(bucketIndex([1, 5], 1.01), 1);
    assert.equal(bucketIndex([1, 5], 5), 1);
    assert.equal(bucketIndex([1, 5], 99), 2);
  });

  it('attributesKey ignores order and unset values', () => {
    assert.equal(attributesKey({ a: '1', b: 2 }), attributesKey({ b: 2, a: '1', c: undefined }));
    assert.notEqual(attributesKey({ a: '1' }), attributesKey({ a: '2' }));
    assert.equal(attributesKey({}), '');
  });

  it('keeps the latest sampled observation per bucket, with its trace and span', () => {
    const first = inSpan(() => recordExemplar('m', [1, 5], { s: 'x' }, 2));
    const second = inSpan(() => recordExemplar('m', [1, 5], { s: 'x' }, 3));
    const third = inSpan(() => recordExemplar('m', [1, 5], { s: 'x' }, 50));
    const kept = exemplarsFor('m', { s: 'x' });
    assert.ok(kept);
    assert.equal(kept.length, 3);
    assert.equal(kept[0], undefined);
    assert.notEqual(first.traceId, second.traceId);
    assert.deepEqual(
      { traceId: kept[1]!.traceId, spanId: kept[1]!.spanId, value: kept[1]!.value },
      { traceId: second.traceId, spanId: second.spanId, value: 3 },
    );
    assert.deepEqual({ traceId: kept[2]!.traceId, value: kept[2]!.value }, { traceId: third.traceId, value: 50 });
    assert.ok(Math.abs(kept[2]!.timestampMs - Date.now()) < 60_000, 'timestamp is wall-clock ms');
    assert.equal(exemplarsFor('m', { s: 'y' }), undefined, 'other label sets are separate');
  });

  it('keeps nothing outside a span or in an unsampled one', () => {
    recordExemplar('m', [1], {}, 0.5);
    const unsampled = trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.NONE,
    });
    context.with(trace.setSpan(context.active(), unsampled), () => recordExemplar('m', [1], {}, 0.5));
    assert.equal(exemplarsFor('m', {}), undefined);
    const sampled = trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
    });
    context.with(trace.setSpan(context.active(), sampled), () => recordExemplar('m', [1], {}, 0.5));
    assert.equal(exemplarsFor('m', {})?.[0]?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736', 'the same call in a sampled context keeps it');
  });

  it('bounds memory: at most 64 label sets per metric', () => {
    inSpan(() => {
      for (let i = 0; i < 100; i++) recordExemplar('m', [1], { i }, 0.5);
    });
    assert.ok(exemplarsFor('m', { i: 63 }));
    assert.equal(exemplarsFor('m', { i: 64 }), undefined);
  });

  it('the three duration histograms reach the collected families and the OpenMetrics exposition', async () => {
    const ids = inSpan(() => {
      recordRenderDuration('completed', 3.5);
      recordQueueWait(0.3);
      recordStageDuration('encode', 0.7);
    });
    const families = await t.reader.families();
    const sample = (name: string, labels: Record<string, string>) => {
      const f = families.find((x) => x.name === name);
      assert.ok(f && f.type === 'histogram', name);
      return (f.samples as HistogramSample[]).find((s) => JSON.stringify(s.labels) === JSON.stringify(labels))!;
    };
    const duration = sample(METRIC_NAMES.duration, { status: 'completed' });
    assert.equal(duration.exemplars?.length, BUCKETS.renderDuration.length + 1);
    assert.equal(duration.exemplars?.[bucketIndex(BUCKETS.renderDuration, 3.5)]?.traceId, ids.traceId);
    assert.equal(sample(METRIC_NAMES.queueWait, {}).exemplars?.[bucketIndex(BUCKETS.queueWait, 0.3)]?.value, 0.3);
    assert.equal(
      sample(METRIC_NAMES.stageDuration, { stage: 'encode' }).exemplars?.[bucketIndex(BUCKETS.stageDuration, 0.7)]?.spanId,
      ids.spanId,
    );
    const om = await t.reader.collector().openMetrics();
    assert.ok(
      om.includes(`render_duration_seconds_bucket{status="completed",le="5"} 1 # {trace_id="${ids.traceId}",span_id="${ids.spanId}"} 3.5 `),
      om,
    );
    const text = await t.reader.collector().prometheus();
    assert.doesNotMatch(text, /trace_id/, 'the 0.0.4 text has no exemplar syntax');
  });
});
