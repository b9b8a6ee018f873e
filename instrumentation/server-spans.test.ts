/** The lean server-span hook on a real Express app and real HTTP: names, attributes, parenting, W3C context, probes. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, test } from 'vitest';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import express from 'express';
import { startEnqueueSpan } from '../services/telemetry/tracing';
import { isUntracedRequest, nameServerSpanByRoute } from './instrumentations';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { readHeadDecision, readSampler } from './read-sampler';
import { ServerSpanInstrumentation } from './server-spans';
import { installTestTelemetry } from '../test/support/telemetry';

const telemetry = installTestTelemetry();
const hook = new ServerSpanInstrumentation({ ignore: isUntracedRequest, nameByRoute: nameServerSpanByRoute });
let server: Server;
let base: string;
const T = { timeout: 20_000 };

beforeAll(async () => {
  const app = express();
  app.use(express.json());
  const jobs = express.Router();
  jobs.post('/', async (_req, res) => {
    await Promise.resolve(); // the span must stay active across the handler's awaits
    const { span } = startEnqueueSpan('job-1', { messagingSystem: 'test', queueName: 'renders' });
    span.end();
    res.status(202).json({ id: 'job-1' });
  });
  jobs.get('/:id', (_req, res) => void res.json({ ok: true }));
  app.use('/api/jobs', jobs);
  app.get('/boom', () => {
    throw new Error('handler bug');
  });
  app.get('/healthz', (_req, res) => void res.send('ok'));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  hook.disable();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await telemetry.shutdown();
});

/** Sends a request and waits until the server span for it has ended. */
async function call(path: string, init: RequestInit = {}): Promise<number> {
  const before = telemetry.spans().length;
  const res = await fetch(`${base}${path}`, init);
  await res.arrayBuffer();
  for (let i = 0; i < 200 && telemetry.spans().length === before; i++) await new Promise((r) => setImmediate(r));
  return res.status;
}

const serverSpans = () => telemetry.spans().filter((s) => s.kind === SpanKind.SERVER);

test(
  'POST /api/jobs: SERVER span named by route is the parent of the enqueue PRODUCER span, and continues the client trace',
  T,
  async () => {
    telemetry.resetSpans();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const status = await call('/api/jobs?token=secret', {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: '{}',
    });
    assert.equal(status, 202);
    const [srv] = serverSpans();
    const producer = telemetry.spans().find((s) => s.kind === SpanKind.PRODUCER);
    assert.ok(srv && producer);
    assert.equal(srv.name, 'POST /api/jobs');
    assert.equal(srv.spanContext().traceId, traceId);
    assert.equal(srv.parentSpanContext?.spanId, '00f067aa0ba902b7');
    assert.equal(producer.parentSpanContext?.spanId, srv.spanContext().spanId);
    assert.deepEqual(
      { ...srv.attributes, 'server.port': typeof srv.attributes['server.port'] },
      {
        'http.request.method': 'POST',
        'url.path': '/api/jobs',
        'http.route': '/api/jobs',
        'http.response.status_code': 202,
        'server.port': 'number',
      },
    );
    assert.equal(srv.status.code, SpanStatusCode.UNSET);
  },
);

test('a parameterised route names the span by its template; a client 404 is not an error', T, async () => {
  telemetry.resetSpans();
  assert.equal(await call('/api/jobs/abc'), 200);
  assert.equal(await call('/nowhere'), 404);
  const [found, missing] = serverSpans();
  assert.equal(found.name, 'GET /api/jobs/:id');
  assert.equal(found.attributes['url.path'], '/api/jobs/abc');
  assert.equal(missing.name, 'GET');
  assert.equal(missing.attributes['http.route'], undefined);
  assert.equal(missing.attributes['http.response.status_code'], 404);
  assert.equal(missing.status.code, SpanStatusCode.UNSET);
});

test('a 500 marks the span as an error with error.type; probes get no span', T, async () => {
  telemetry.resetSpans();
  assert.equal(await call('/boom'), 500);
  assert.equal(await call('/healthz'), 200);
  assert.equal(await call('/healthz?x=1'), 200);
  const spans = serverSpans();
  assert.equal(spans.length, 1, spans.map((s) => s.name).join(', '));
  assert.equal(spans[0].name, 'GET /boom');
  assert.equal(spans[0].attributes['error.type'], '500');
  assert.equal(spans[0].status.code, SpanStatusCode.ERROR);
});

test('disable() restores the original emit: no more spans', T, async () => {
  hook.disable();
  try {
    telemetry.resetSpans();
    assert.equal(await call('/api/jobs/abc'), 200);
    assert.equal(serverSpans().length, 0);
  } finally {
    hook.enable();
  }
});

test(
  'with the read head decision, a sampled-out poll gets no span at all, a kept one exactly one, and the ratio is rolled once',
  T,
  async () => {
    hook.disable();
    const exporter = new InMemorySpanExporter();
    let started = 0;
    const headed = (ratio: number) => {
      const h = new ServerSpanInstrumentation({
        ignore: isUntracedRequest,
        nameByRoute: nameServerSpanByRoute,
        headDecision: readHeadDecision(ratio),
      });
      const provider = new TracerProvider({ sampler: readSampler(ratio), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
      // Counts every span the hook asks for, recorded or not: a sampled-out poll must not build one.
      h.setTracerProvider({
        getTracer: (...args: Parameters<TracerProvider['getTracer']>) => {
          const tracer = provider.getTracer(...args);
          return Object.assign(Object.create(tracer), {
            startSpan: (...a: Parameters<typeof tracer.startSpan>) => (started++, tracer.startSpan(...a)),
          });
        },
      });
      return h;
    };
    const get = async (path: string, headers: Record<string, string> = {}) => (await fetch(`${base}${path}`, { headers })).arrayBuffer();
    const settle = () => new Promise((r) => setTimeout(r, 20));
    let h = headed(0);
    try {
      await get('/api/jobs/abc');
      await get('/api/jobs');
      await settle();
      assert.deepEqual(exporter.getFinishedSpans(), [], 'ratio 0: no poll span');
      assert.equal(started, 0, 'ratio 0: no span built for a poll, not even a non-recording one');
      // A submission is never a sampled read, and a poll arriving inside a sampled trace follows its parent.
      await fetch(`${base}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) =>
        r.arrayBuffer(),
      );
      await get('/api/jobs/abc', { traceparent: `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01` });
      await settle();
      assert.deepEqual(
        exporter
          .getFinishedSpans()
          .filter((s) => s.kind === SpanKind.SERVER)
          .map((s) => [s.name, s.spanContext().traceId === 'c'.repeat(32)]),
        [
          ['POST /api/jobs', false],
          ['GET /api/jobs/:id', true],
        ],
      );
      h.disable();
      exporter.reset();
      // 400 polls at 0.5: kept ≈ 200 (sd 10); rolling the ratio twice (head, then sampler) would keep ≈ 100.
      h = headed(0.5);
      for (let i = 0; i < 400; i++) await get('/api/jobs/abc');
      await settle();
      const kept = exporter.getFinishedSpans().length;
      assert.ok(kept > 140 && kept < 260, `${kept} of 400 kept`);
      assert.ok(exporter.getFinishedSpans().every((s) => s.name === 'GET /api/jobs/:id' && s.parentSpanContext === undefined));
    } finally {
      h.disable();
      hook.enable();
    }
  },
);
