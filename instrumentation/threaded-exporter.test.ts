/**
 * The threaded OTLP exporter against the stock exporters as the oracle: the same spans must reach
 * the receiver as the same bytes, at the same path, with the same content type, and the standard
 * OTEL_EXPORTER_OTLP_* settings must still apply, read by the library inside the thread.
 */
import { SeverityNumber, SpanKind } from '@opentelemetry/api';
import { OTLPLogExporter as StockJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as StockProtobufLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import {
  InMemoryLogRecordExporter,
  type LogRecordExporter,
  LoggerProvider,
  type ReadableLogRecord,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as StockJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as StockProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { type OtlpRequest, startOtlpSink } from '../test/support/otlp-receiver';
import { ExportThread, ThreadedOtlpExporter, ThreadedOtlpLogExporter } from './threaded-exporter';

/** A few ended spans: a traced submission's server span and its PRODUCER child, with attributes and an event. */
async function someSpans(): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  const tracer = provider.getTracer('threaded-exporter-test');
  const server = tracer.startSpan('POST /api/jobs', {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'POST', 'server.port': 8080 },
  });
  server.addEvent('validated', { 'render.slides': 6 });
  server.setAttribute('http.response.status_code', 202);
  server.end();
  tracer
    .startSpan('render enqueue', { kind: SpanKind.PRODUCER, attributes: { 'render.job.id': 'job-1', 'messaging.system': 'render' } })
    .end();
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  expect(spans).toHaveLength(2);
  return spans;
}

/** A warning and an error record, with attributes, as the pino instrumentation emits them. */
async function someLogRecords(): Promise<ReadableLogRecord[]> {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  const logger = provider.getLogger('threaded-exporter-test');
  logger.emit({ severityNumber: SeverityNumber.WARN, severityText: 'warn', body: 'attempt failed', attributes: { job_id: 'job-1' } });
  logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: 'error', body: 'ffmpeg failed; the last lines of its stderr' });
  await provider.forceFlush();
  const records = memory.getFinishedLogRecords();
  expect(records).toHaveLength(2);
  return records;
}

function exportWith<T>(exporter: { export(items: T[], cb: (r: ExportResult) => void): void }, items: T[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(items, resolve));
}

const saved = { ...process.env };
const started: (SpanExporter | LogRecordExporter)[] = [];
function threaded(protocol: 'http/protobuf' | 'http/json', timeoutMillis = 5000): ThreadedOtlpExporter {
  const exporter = new ThreadedOtlpExporter({ protocol, config: { concurrencyLimit: 4, timeoutMillis } });
  started.push(exporter);
  return exporter;
}

/**
 * The same spans exported by a stock exporter (the oracle), then by ours, to one receiver; the stock
 * exporter is built after the endpoint is set, since it reads OTEL_EXPORTER_OTLP_* when constructed.
 */
async function stockThenOurs(stock: () => SpanExporter, protocol: 'http/protobuf' | 'http/json'): Promise<[OtlpRequest, OtlpRequest]> {
  const sink = await startOtlpSink(true);
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = sink.url;
  try {
    const spans = await someSpans();
    const oracle = stock();
    expect((await exportWith(oracle, spans)).code).toBe(ExportResultCode.SUCCESS);
    await oracle.shutdown();
    expect((await exportWith(threaded(protocol), spans)).code).toBe(ExportResultCode.SUCCESS);
    expect(sink.received).toHaveLength(2);
    return [sink.received[0], sink.received[1]];
  } finally {
    await sink.close();
  }
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.shutdown()));
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe('ThreadedOtlpExporter', () => {
  it('sends what the stock http/protobuf exporter sends: same bytes, path and content type', async () => {
    const [oracle, ours] = await stockThenOurs(() => new StockProtobufExporter(), 'http/protobuf');
    expect(ours.path).toBe('/v1/traces');
    expect(ours.path).toBe(oracle.path);
    expect(ours.contentType).toBe('application/x-protobuf');
    expect(ours.body.equals(oracle.body)).toBe(true);
    expect(ours.body.includes(Buffer.from('render enqueue'))).toBe(true);
  });

  it('sends what the stock http/json exporter sends', async () => {
    const [oracle, ours] = await stockThenOurs(() => new StockJsonExporter(), 'http/json');
    expect(ours.contentType).toBe('application/json');
    expect(JSON.parse(ours.body.toString())).toEqual(JSON.parse(oracle.body.toString()));
    const names = JSON.parse(ours.body.toString()).resourceSpans[0].scopeSpans[0].spans.map((s: { name: string }) => s.name);
    expect(names).toEqual(['POST /api/jobs', 'render enqueue']);
  });

  it('applies OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS inside the thread', async () => {
    const sink = await startOtlpSink(true);
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${sink.url}/custom/traces`;
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-tenant=render-o11y,authorization=Bearer%20t0k3n';
    try {
      expect((await exportWith(threaded('http/protobuf'), await someSpans())).code).toBe(ExportResultCode.SUCCESS);
      expect(sink.received[0].path).toBe('/custom/traces');
      expect(sink.received[0].headers['x-tenant']).toBe('render-o11y');
      expect(sink.received[0].headers.authorization).toBe('Bearer t0k3n');
    } finally {
      await sink.close();
    }
  });

  it('fails an export (so it is counted) when nothing listens, without hanging', async () => {
    const sink = await startOtlpSink(true);
    const url = sink.url;
    await sink.close(); // a loopback port nobody listens on any more
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = url;
    const result = await exportWith(threaded('http/protobuf', 1000), await someSpans());
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error).toBeInstanceOf(Error);
  });

  it('flushes what is in flight, then shuts the thread down; later exports fail fast', async () => {
    const sink = await startOtlpSink(true);
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = sink.url;
    try {
      const exporter = threaded('http/protobuf');
      const results: ExportResult[] = [];
      const spans = await someSpans();
      // As many in flight as the exporter's concurrency limit (4) allows.
      for (let i = 0; i < 4; i++) exporter.export(spans, (r) => results.push(r));
      await exporter.forceFlush();
      expect(results.map((r) => r.code)).toEqual(Array(4).fill(ExportResultCode.SUCCESS));
      expect(sink.received).toHaveLength(4);
      await exporter.shutdown();
      const late = await exportWith(exporter, spans);
      expect(late.code).toBe(ExportResultCode.FAILED);
      expect(sink.received).toHaveLength(4);
    } finally {
      await sink.close();
    }
  });
});

/** The same log records exported by a stock log exporter (the oracle), then by ours, to one receiver. */
async function stockThenOursLogs(
  stock: () => LogRecordExporter,
  protocol: 'http/protobuf' | 'http/json',
): Promise<[OtlpRequest, OtlpRequest]> {
  const sink = await startOtlpSink(true);
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = sink.url;
  try {
    const records = await someLogRecords();
    const oracle = stock();
    expect((await exportWith(oracle, records)).code).toBe(ExportResultCode.SUCCESS);
    await oracle.shutdown();
    const ours = new ThreadedOtlpLogExporter({ protocol, config: { concurrencyLimit: 4, timeoutMillis: 5000 } });
    started.push(ours);
    expect((await exportWith(ours, records)).code).toBe(ExportResultCode.SUCCESS);
    expect(sink.received).toHaveLength(2);
    return [sink.received[0], sink.received[1]];
  } finally {
    await sink.close();
  }
}

describe('ThreadedOtlpLogExporter', () => {
  it('sends what the stock http/protobuf log exporter sends: same bytes, path and content type', async () => {
    const [oracle, ours] = await stockThenOursLogs(() => new StockProtobufLogExporter(), 'http/protobuf');
    expect(ours.path).toBe('/v1/logs');
    expect(ours.path).toBe(oracle.path);
    expect(ours.contentType).toBe('application/x-protobuf');
    expect(ours.body.equals(oracle.body)).toBe(true);
  });

  it('sends what the stock http/json log exporter sends', async () => {
    const [oracle, ours] = await stockThenOursLogs(() => new StockJsonLogExporter(), 'http/json');
    expect(ours.contentType).toBe('application/json');
    expect(JSON.parse(ours.body.toString())).toEqual(JSON.parse(oracle.body.toString()));
  });

  it('one thread carries both signals, each to its own path with its own protocol; it ends with its last exporter', async () => {
    const sink = await startOtlpSink(true);
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = sink.url;
    process.env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT = `${sink.url}/custom/logs`;
    try {
      const config = { concurrencyLimit: 4, timeoutMillis: 5000 };
      const thread = new ExportThread({ traces: { protocol: 'http/protobuf', config }, logs: { protocol: 'http/json', config } });
      const spans = new ThreadedOtlpExporter(thread.options.traces!, thread);
      const logs = new ThreadedOtlpLogExporter(thread.options.logs!, thread);
      expect((await exportWith(spans, await someSpans())).code).toBe(ExportResultCode.SUCCESS);
      expect((await exportWith(logs, await someLogRecords())).code).toBe(ExportResultCode.SUCCESS);
      expect(sink.received.map((r) => [r.path, r.contentType])).toEqual([
        ['/v1/traces', 'application/x-protobuf'],
        ['/custom/logs', 'application/json'],
      ]);
      await spans.shutdown();
      // The span exporter is done; the thread still serves the log exporter.
      expect((await exportWith(logs, await someLogRecords())).code).toBe(ExportResultCode.SUCCESS);
      expect((await exportWith(spans, await someSpans())).code).toBe(ExportResultCode.FAILED);
      await logs.shutdown();
      expect((await exportWith(logs, await someLogRecords())).code).toBe(ExportResultCode.FAILED);
      expect(sink.received).toHaveLength(3);
    } finally {
      await sink.close();
    }
  });
});
