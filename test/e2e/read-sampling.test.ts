/**
 * Head sampling of reads through the real bootstrap and a real OTLP receiver: with
 * RENDER_TRACE_READ_RATIO=0 status polls, the job list and the admin page leave no trace while the
 * job's whole lifecycle does, an incoming sampled traceparent is still honoured, and
 * OTEL_TRACES_SAMPLER=always_on overrides the ratio.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { submitJob, tinyDeck, waitForStatus } from '../support/jobs';
import { receivedSpans, startOtlpSink, type OtlpSink } from '../support/otlp-receiver';
import { waitFor } from '../support/ports';
import { startService, type RunningService } from '../support/service';

const SERVER = 2;

function env(sink: OtlpSink, extra: Record<string, string>): Record<string, string> {
  return {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    ...extra,
  };
}

/** Polls, lists and opens the admin page, then sends one poll with a sampled traceparent of `traceId` and waits for its span. */
async function reads(svc: RunningService, sink: OtlpSink, jobId: string, traceId: string): Promise<void> {
  for (let i = 0; i < 10; i++) await (await fetch(`${svc.url}/api/jobs/${jobId}`)).arrayBuffer();
  await (await fetch(`${svc.url}/api/jobs`)).arrayBuffer();
  await (await fetch(`${svc.url}/admin/metrics`)).arrayBuffer();
  const res = await fetch(`${svc.url}/api/jobs/${jobId}`, { headers: { traceparent: `00-${traceId}-${'1'.repeat(16)}-01` } });
  await res.arrayBuffer();
  // Spans are exported in the order they ended: once this one is in, every earlier read's would be too.
  await waitFor(
    'the span of the poll with a sampled traceparent',
    () => receivedSpans(sink).some((s) => s.traceId === traceId),
    20_000,
    100,
  );
}

const readSpans = (sink: OtlpSink, except: string) =>
  receivedSpans(sink).filter((s) => s.kind === SERVER && s.name.startsWith('GET ') && s.traceId !== except);

describe('head sampling of reads', { timeout: 180_000 }, () => {
  let sink: OtlpSink;
  const services: RunningService[] = [];
  beforeAll(async () => {
    sink = await startOtlpSink(true);
  });
  afterAll(async () => {
    for (const s of services) {
      await s.stop();
      s.cleanup();
    }
    await sink.close();
  });

  it('ratio 0: reads untraced unless the client samples them; the job lifecycle traced in full', { timeout: 120_000 }, async () => {
    const svc = await startService({ telemetry: true, env: env(sink, { RENDER_TRACE_READ_RATIO: '0' }) });
    services.push(svc);
    const job = await submitJob(svc.url, tinyDeck('sampled reads'));
    const done = await waitForStatus(svc.url, job.id, ['completed', 'failed'], 90_000);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    const traceId = 'c'.repeat(32);
    await reads(svc, sink, job.id, traceId);
    await waitFor(
      'the job trace',
      () => receivedSpans(sink).some((s) => s.traceId === done.traceId && s.name === 'ffmpeg mux'),
      20_000,
      100,
    );
    const names = receivedSpans(sink)
      .filter((s) => s.traceId === done.traceId)
      .map((s) => s.name);
    for (const name of ['POST /api/jobs', 'send ', 'process ', 'render encode', 'ffmpeg encode', 'ffmpeg slide picture', 'ffmpeg mux'])
      assert.ok(
        names.some((n) => n.startsWith(name)),
        `${name} missing from ${names.join(', ')}`,
      );
    assert.deepEqual(
      readSpans(sink, traceId).map((s) => s.name),
      [],
      'no unsampled read was traced',
    );
    const honoured = receivedSpans(sink).find((s) => s.traceId === traceId);
    assert.equal(honoured?.name, 'GET /api/jobs/:id');
  });

  it('OTEL_TRACES_SAMPLER=always_on overrides the read ratio', { timeout: 60_000 }, async () => {
    const svc = await startService({ telemetry: true, env: env(sink, { RENDER_TRACE_READ_RATIO: '0', OTEL_TRACES_SAMPLER: 'always_on' }) });
    services.push(svc);
    const before = readSpans(sink, '').length;
    const job = await submitJob(svc.url, tinyDeck('always on'));
    await reads(svc, sink, job.id, 'd'.repeat(32));
    assert.ok(readSpans(sink, 'd'.repeat(32)).length - before >= 12, 'every read traced');
  });
});
