/** The head sampler on a real tracer provider: reads at the ratio, everything else always, parents honoured. */
import assert from 'node:assert/strict';
import { test } from 'vitest';
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace, type Attributes } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  headDecisionFromEnv,
  isSampledRead,
  READ_KEPT_AT_HEAD,
  readHeadDecision,
  readSampler,
  samplerFromEnv,
  traceReadRatio,
} from './read-sampler';

function tracerWith(ratio: number) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ sampler: readSampler(ratio), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  return { tracer: provider.getTracer('test'), exporter };
}

const request = (method: string, path: string): Attributes => ({ 'http.request.method': method, 'url.path': path });

test('the sampled reads are the status poll, the job list and the admin page, GET only, server spans only', () => {
  for (const path of ['/api/jobs', '/api/jobs/', '/api/jobs/0b5d7c1e', '/admin/metrics', '/api/jobs?status=failed'])
    assert.equal(isSampledRead(SpanKind.SERVER, request('GET', path)), true, path);
  for (const [method, path] of [
    ['POST', '/api/jobs'],
    ['DELETE', '/api/jobs/abc'],
    ['POST', '/api/jobs/abc/retry'],
    ['GET', '/api/jobs/abc/output'],
    ['GET', '/api/admin/summary'],
  ])
    assert.equal(isSampledRead(SpanKind.SERVER, request(method, path)), false, `${method} ${path}`);
  assert.equal(isSampledRead(SpanKind.CLIENT, request('GET', '/api/jobs')), false);
  // The stock http instrumentation's older attribute names work too.
  assert.equal(isSampledRead(SpanKind.SERVER, { 'http.method': 'GET', 'http.target': '/api/jobs/x?y=1' }), true);
});

test('ratio 0: reads are not recorded, while submissions and everything else are, and so are their children', () => {
  const { tracer, exporter } = tracerWith(0);
  const poll = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: request('GET', '/api/jobs/abc') });
  assert.equal(poll.isRecording(), false);
  poll.end();
  const post = tracer.startSpan('POST', { kind: SpanKind.SERVER, attributes: request('POST', '/api/jobs') });
  assert.equal(post.isRecording(), true);
  const enqueue = tracer.startSpan('render enqueue', { kind: SpanKind.PRODUCER }, trace.setSpan(ROOT_CONTEXT, post));
  assert.equal(enqueue.isRecording(), true);
  const attempt = tracer.startSpan(
    'render attempt',
    { kind: SpanKind.CONSUMER },
    trace.setSpanContext(ROOT_CONTEXT, enqueue.spanContext()),
  );
  assert.equal(attempt.isRecording(), true, 'the attempt continues the sampled job trace');
  for (const s of [attempt, enqueue, post]) s.end();
  assert.deepEqual(
    exporter
      .getFinishedSpans()
      .map((s) => s.name)
      .sort(),
    ['POST', 'render attempt', 'render enqueue'],
  );
});

test('parent-based: a read with an incoming sampled traceparent is recorded, one with an unsampled one is not, even at ratio 1', () => {
  const remote = (flags: number) =>
    trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: flags, isRemote: true });
  const zero = tracerWith(0).tracer;
  const sampled = zero.startSpan('GET', { kind: SpanKind.SERVER, attributes: request('GET', '/api/jobs/abc') }, remote(TraceFlags.SAMPLED));
  assert.equal(sampled.isRecording(), true);
  assert.equal(sampled.spanContext().traceId, 'a'.repeat(32));
  const one = tracerWith(1).tracer;
  const unsampled = one.startSpan('GET', { kind: SpanKind.SERVER, attributes: request('GET', '/api/jobs/abc') }, remote(TraceFlags.NONE));
  assert.equal(unsampled.isRecording(), false);
});

test('a ratio between keeps about that share of read traces, and 1 keeps them all', () => {
  const count = (ratio: number, n: number) => {
    const { tracer } = tracerWith(ratio);
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const s = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: request('GET', '/api/jobs') });
      if (s.isRecording()) kept++;
      s.end();
    }
    return kept;
  };
  // 4000 random trace ids at 5%: mean 200, standard deviation ≈ 14; the bounds are 7 deviations wide.
  const kept = count(0.05, 4000);
  assert.ok(kept > 100 && kept < 300, `${kept} of 4000 kept`);
  assert.equal(count(1, 500), 500);
});

test('RENDER_TRACE_READ_RATIO: default 0.05, a bad value names the variable, OTEL_TRACES_SAMPLER hands the choice back to the SDK', () => {
  assert.equal(traceReadRatio({}), 0.05);
  assert.equal(traceReadRatio({ RENDER_TRACE_READ_RATIO: '1' }), 1);
  assert.equal(traceReadRatio({ RENDER_TRACE_READ_RATIO: '0' }), 0);
  for (const bad of ['1.5', '-0.1', 'half'])
    assert.throws(() => traceReadRatio({ RENDER_TRACE_READ_RATIO: bad }), /RENDER_TRACE_READ_RATIO/);
  assert.equal(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'always_on' }), undefined);
  assert.ok(samplerFromEnv({}));
});

test('the head decision: reads only, no traceparent, at the ratio; a read it kept is recorded by the sampler without a second roll', () => {
  const req = (method: string, url: string, headers: Record<string, string> = {}) => ({ method, url, headers });
  const never = readHeadDecision(0);
  const always = readHeadDecision(1);
  for (const url of ['/api/jobs', '/api/jobs/abc', '/admin/metrics', '/api/jobs/abc?x=1']) {
    assert.equal(never(req('GET', url)), false, url);
    assert.equal(always(req('GET', url)), true, url);
  }
  // Not a sampled read, or a request that continues a client's trace: the sampler decides, parent-based.
  for (const r of [req('POST', '/api/jobs'), req('GET', '/api/jobs/abc/output'), req('GET', '/api/jobs/abc', { traceparent: 'x' })]) {
    assert.equal(never(r), undefined, `${r.method} ${r.url}`);
    assert.equal(always(r), undefined, `${r.method} ${r.url}`);
  }
  const tenth = readHeadDecision(0.1);
  let kept = 0;
  for (let i = 0; i < 4000; i++) if (tenth(req('GET', '/api/jobs/abc'))) kept++;
  // mean 400, sd ≈ 19: the bounds are more than 7 deviations wide.
  assert.ok(kept > 260 && kept < 540, `${kept} of 4000 kept`);
  // At ratio 0 the sampler drops reads, except one the head already kept.
  const { tracer } = tracerWith(0);
  const kind = { kind: SpanKind.SERVER, attributes: request('GET', '/api/jobs/abc') };
  assert.equal(tracer.startSpan('GET', kind, ROOT_CONTEXT).isRecording(), false);
  assert.equal(tracer.startSpan('GET', kind, ROOT_CONTEXT.setValue(READ_KEPT_AT_HEAD, true)).isRecording(), true);
  assert.equal(headDecisionFromEnv({ OTEL_TRACES_SAMPLER: 'always_on' }), undefined);
  assert.equal(headDecisionFromEnv({ RENDER_TRACE_READ_RATIO: '0' })?.(req('GET', '/api/jobs')), false);
});
