import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { trace } from '@opentelemetry/api';
import { installTestTelemetry, type TestTelemetry } from '../../test/support/telemetry';
import { publishMetricsCollector } from '../../telemetry-bridge/metrics-collector';
import { metricsRequestHandler, OPENMETRICS_TYPE, prefersOpenMetrics, PROMETHEUS_TEXT_TYPE } from './metrics-http';
import { recordJobStatus, recordRenderDuration } from './metrics';
import { metricsJsonSchema } from './metrics-json-schema';

/** What Prometheus 2.42 sends when scraping. */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('content negotiation', () => {
  it('picks OpenMetrics for the Accept header Prometheus sends', () => {
    assert.equal(prefersOpenMetrics(PROMETHEUS_ACCEPT), true);
    assert.equal(prefersOpenMetrics('application/openmetrics-text'), true);
    assert.equal(prefersOpenMetrics('Application/OpenMetrics-Text; Version="1.0.0"'), true, 'case and quoted parameters');
  });

  it('keeps the text format for no header, curl, browsers and text-first scrapers', () => {
    assert.equal(prefersOpenMetrics(undefined), false);
    assert.equal(prefersOpenMetrics(''), false);
    assert.equal(prefersOpenMetrics('*/*'), false, 'a tie keeps the default');
    assert.equal(prefersOpenMetrics('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'), false);
    assert.equal(prefersOpenMetrics('text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5'), false);
    assert.equal(prefersOpenMetrics('application/openmetrics-text;q=0.5,text/plain;q=0.5'), false);
  });

  it('honours q-values and specificity', () => {
    assert.equal(prefersOpenMetrics('text/plain;q=0.2,application/openmetrics-text;q=0.3'), true);
    assert.equal(prefersOpenMetrics('application/openmetrics-text;q=0'), false, 'q=0 means not acceptable');
    assert.equal(prefersOpenMetrics('application/*;q=0.9,text/*;q=0.1'), true);
    assert.equal(prefersOpenMetrics('*/*;q=0.9,text/plain;q=0.1'), true, 'the specific text/plain range lowers text below */*');
    assert.equal(
      prefersOpenMetrics('application/openmetrics-text;version=2.0.0,text/plain;q=0.1'),
      false,
      'a version we do not write does not match',
    );
    assert.equal(prefersOpenMetrics('application/openmetrics-text;q=abc,text/plain;q=0.1'), false, 'a malformed q is not acceptable');
  });
});

describe('metrics request handler', { timeout: 30_000 }, () => {
  let t: TestTelemetry;
  let server: http.Server;
  let base = '';
  let traceId = '';

  beforeAll(async () => {
    t = installTestTelemetry();
    publishMetricsCollector(t.reader.collector());
    recordJobStatus('completed');
    trace.getTracer('test').startActiveSpan('job', (span) => {
      recordRenderDuration('completed', 2);
      traceId = span.spanContext().traceId;
      span.end();
    });
    const handle = metricsRequestHandler({});
    server = http.createServer((req, res) => void handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await t.shutdown();
  });

  it('serves OpenMetrics with exemplars to a Prometheus-like scraper', async () => {
    const res = await fetch(`${base}/metrics`, { headers: { accept: PROMETHEUS_ACCEPT } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), OPENMETRICS_TYPE);
    assert.equal(res.headers.get('vary'), 'accept');
    const body = await res.text();
    assert.ok(body.endsWith('# EOF\n'));
    assert.match(body, /^# TYPE render_jobs counter$/m);
    assert.match(body, /^render_jobs_total\{status="completed"\} 1$/m);
    assert.ok(body.includes(`render_duration_seconds_bucket{status="completed",le="5"} 1 # {trace_id="${traceId}",`), body);
  });

  it('serves the 0.0.4 text to everyone else', async () => {
    const res = await fetch(`${base}/metrics`, { headers: { accept: '*/*' } });
    assert.equal(res.headers.get('content-type'), PROMETHEUS_TEXT_TYPE);
    const body = await res.text();
    assert.match(body, /^# TYPE render_jobs_total counter$/m);
    assert.doesNotMatch(body, /# EOF|trace_id/);
  });

  it('?format=json wins over Accept and shows the exemplar', async () => {
    const res = await fetch(`${base}/metrics?format=json`, { headers: { accept: PROMETHEUS_ACCEPT } });
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const json = (await res.json()) as {
      metrics: {
        name: string;
        samples: { labels: Record<string, string>; buckets?: { le: unknown; exemplar?: { traceId: string } }[] }[];
      }[];
    };
    const duration = json.metrics.find((m) => m.name === 'render_duration_seconds')!.samples.find((s) => s.labels.status === 'completed')!;
    assert.equal(duration.buckets!.find((b) => b.le === 5)?.exemplar?.traceId, traceId);
  });

  it('refuses a format other than json with 400 INVALID_QUERY (found by schemathesis: ?format=null answered the text)', async () => {
    for (const query of ['format=null', 'format=json&format=json', 'format=']) {
      const res = await fetch(`${base}/metrics?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'INVALID_QUERY', query);
    }
  });

  it('its JSON view matches the schema the OpenAPI document gives it', async () => {
    const res = await fetch(`${base}/metrics?format=json`);
    const parsed = metricsJsonSchema.safeParse(await res.json());
    assert.ok(parsed.success, parsed.error?.message);
  });
});
