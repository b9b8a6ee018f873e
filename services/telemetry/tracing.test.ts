import assert from 'node:assert/strict';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { installTestTelemetry, type TestTelemetry } from '../../test/support/telemetry';
import { AssetFetchError } from '../shared/errors';
import { ATTR, EVENTS } from './attributes';
import {
  activeTraceIds,
  markSpanCancelled,
  markSpanError,
  safeUrl,
  serverAttributes,
  startEnqueueSpan,
  withConsumerSpan,
  withSpan,
} from './tracing';

const target = { messagingSystem: 'sqlite', queueName: 'render' };
let t: TestTelemetry;
const byName = (name: string) => t.spans().filter((s) => s.name === name);

describe('tracing helpers', { timeout: 30_000 }, () => {
  beforeAll(() => (t = installTestTelemetry()));
  beforeEach(() => t.resetSpans());
  afterAll(() => t.shutdown());

  it('enqueue is a PRODUCER child of the active span, and its carrier holds the trace', () => {
    const server = trace.getTracer('test').startSpan('POST /api/jobs', { kind: SpanKind.SERVER });
    const { span, carrier, traceId } = context.with(trace.setSpan(context.active(), server), () => startEnqueueSpan('job-1', target));
    span.end();
    server.end();
    const [producer] = byName('send render');
    assert.equal(producer.kind, SpanKind.PRODUCER);
    assert.equal(producer.parentSpanContext?.spanId, server.spanContext().spanId);
    assert.equal(producer.attributes[ATTR.MESSAGING_SYSTEM], 'sqlite');
    assert.equal(producer.attributes[ATTR.MESSAGING_DESTINATION_NAME], 'render');
    assert.equal(producer.attributes[ATTR.MESSAGING_OPERATION_TYPE], 'send');
    assert.equal(producer.attributes[ATTR.RENDER_JOB_ID], 'job-1');
    assert.match(carrier.traceparent, new RegExp(`^00-${server.spanContext().traceId}-${producer.spanContext().spanId}-01$`));
    assert.equal(traceId, server.spanContext().traceId);
  });

  it('each attempt is a CONSUMER child of the enqueue in the same trace, with stage spans under it', async () => {
    const { span: producer, carrier } = startEnqueueSpan('job-2', target);
    producer.end();
    for (const attempt of [1, 2]) {
      await withConsumerSpan({ id: 'job-2', attempt, carrier }, target, async () => {
        await withSpan('encode', { [ATTR.RENDER_STAGE]: 'encode' }, async () => {
          assert.equal(activeTraceIds().trace_id, producer.spanContext().traceId, 'logs inside a stage carry the job trace');
        });
      });
    }
    const consumers = byName('process render');
    assert.equal(consumers.length, 2);
    for (const [i, c] of consumers.entries()) {
      assert.equal(c.kind, SpanKind.CONSUMER);
      assert.equal(c.spanContext().traceId, producer.spanContext().traceId);
      assert.equal(c.parentSpanContext?.spanId, producer.spanContext().spanId);
      assert.deepEqual(
        c.links.map((l) => [l.context.traceId, l.context.spanId]),
        [[producer.spanContext().traceId, producer.spanContext().spanId]],
        'the consumer links to the producer context',
      );
      assert.equal(c.attributes[ATTR.RENDER_JOB_ATTEMPT], i + 1);
      assert.equal(c.attributes[ATTR.MESSAGING_OPERATION_TYPE], 'process');
    }
    const stages = byName('encode');
    assert.equal(stages.length, 2);
    assert.deepEqual(
      stages.map((s) => s.parentSpanContext?.spanId),
      consumers.map((c) => c.spanContext().spanId),
    );
    assert.equal(stages[0].kind, SpanKind.INTERNAL);
    assert.deepEqual(activeTraceIds(), {}, 'no span is active outside');
  });

  it('a thrown error marks the stage span and is rethrown', async () => {
    const err = new AssetFetchError('network error (ECONNREFUSED)');
    await assert.rejects(
      withSpan('fetch', {}, async () => Promise.reject(err)),
      (e) => e === err,
    );
    const [span] = byName('fetch');
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.status.message, 'ASSET_FETCH_FAILED');
    assert.equal(span.attributes[ATTR.ERROR_TYPE], 'ASSET_FETCH_FAILED');
    assert.equal(span.attributes[ATTR.RENDER_ERROR_CATEGORY], 'network');
    assert.equal(span.attributes[ATTR.RENDER_ERROR_RETRYABLE], true);
    const exception = span.events.find((e) => e.name === 'exception');
    // The SDK names the exception by its `code` when it has one: our stable error code.
    assert.equal(exception?.attributes?.['exception.type'], 'ASSET_FETCH_FAILED');
    assert.equal(exception?.attributes?.['exception.message'], 'network error (ECONNREFUSED)');
  });

  it('a non-render error is classified before marking', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await assert.rejects(withSpan('fetch', {}, async () => Promise.reject(refused)));
    assert.equal(byName('fetch')[0].attributes[ATTR.RENDER_ERROR_CATEGORY], 'network');
  });

  it('markSpanError and markSpanCancelled on a consumer span', async () => {
    const { span: producer, carrier } = startEnqueueSpan('job-3', target);
    producer.end();
    await withConsumerSpan({ id: 'job-3', attempt: 1, carrier }, target, async (span) => {
      markSpanError(span, new AssetFetchError('x'));
      markSpanCancelled(span);
    });
    const [c] = byName('process render');
    assert.equal(c.status.code, SpanStatusCode.ERROR);
    assert.equal(c.attributes[ATTR.RENDER_ERROR_CATEGORY], 'network');
    assert.ok(c.events.some((e) => e.name === EVENTS.JOB_CANCELLED));
    assert.ok(c.events.some((e) => e.name === 'exception'));
  });

  it('safeUrl keeps only scheme, host and port (paths and queries may hold tokens)', () => {
    assert.equal(safeUrl('https://cdn.example.test/a/b.mp3?token=secret#x'), 'https://cdn.example.test:443');
    assert.equal(safeUrl('http://user:pw@hooks.example.test:8080/T0/B0/XYZ'), 'http://hooks.example.test:8080');
    assert.equal(safeUrl('not a url'), '(invalid url)');
  });

  it('serverAttributes names the peer of an outgoing call (host and port, nothing else)', () => {
    assert.deepEqual(serverAttributes('https://user:pw@hooks.example.test/x?token=1'), {
      'server.address': 'hooks.example.test',
      'server.port': 443,
    });
    assert.deepEqual(serverAttributes('http://127.0.0.1:8080/hook'), { 'server.address': '127.0.0.1', 'server.port': 8080 });
    assert.deepEqual(serverAttributes('http://[::1]/hook'), { 'server.address': '::1', 'server.port': 80 });
    assert.deepEqual(serverAttributes('not a url'), {});
  });
});
