/**
 * One job, one trace, received by a local OTLP/HTTP receiver exactly as a collector would get it:
 * embedded single process, then API and worker as separate processes over Redis.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { submitJob, tinyDeck, waitForStatus } from '../support/jobs';
import { receivedSpans, spanAttribute, startOtlpSink, type OtlpSink, type OtlpSpan } from '../support/otlp-receiver';
import { waitFor } from '../support/ports';
import { startService, type RunningService } from '../support/service';

const KIND = { SERVER: 2, PRODUCER: 4, CONSUMER: 5 };

function otlpEnv(sink: OtlpSink): Record<string, string> {
  return {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
}

/** Submits a tiny deck, waits for completion, then for its whole trace to arrive; returns trace id and spans. */
async function renderAndCollect(apiUrl: string, sink: OtlpSink): Promise<{ traceId: string; jobId: string; spans: OtlpSpan[] }> {
  const submitted = await submitJob(apiUrl, tinyDeck('traced deck'));
  const job = await waitForStatus(apiUrl, submitted.id, ['completed', 'failed'], 120_000);
  assert.equal(job.status, 'completed', JSON.stringify(job.error));
  assert.match(job.traceId ?? '', /^[0-9a-f]{32}$/);
  const traceId = job.traceId!;
  const inTrace = () => receivedSpans(sink).filter((s) => s.traceId === traceId);
  await waitFor(
    'the whole trace at the receiver',
    () => {
      const names = inTrace().map((s) => s.name);
      return (
        names.includes('ffmpeg encode') && inTrace().some((s) => s.kind === KIND.CONSUMER) && inTrace().some((s) => s.kind === KIND.SERVER)
      );
    },
    30_000,
    200,
  );
  return { traceId, jobId: job.id, spans: inTrace() };
}

function assertOneTrace(t: { traceId: string; jobId: string; spans: OtlpSpan[] }, sink: OtlpSink): void {
  const { traceId, jobId, spans } = t;
  for (const s of receivedSpans(sink).filter((x) => spanAttribute(x, 'render.job.id') === jobId)) {
    assert.equal(s.traceId, traceId, `span ${s.name} of job ${jobId} is in another trace`);
  }
  const server = spans.find((s) => s.kind === KIND.SERVER && s.name === 'POST /api/jobs');
  assert.ok(server, `no POST /api/jobs server span: ${spans.map((s) => `${s.name}(${s.kind})`).join(', ')}`);
  const producer = spans.find((s) => s.kind === KIND.PRODUCER);
  assert.ok(producer, 'no PRODUCER span');
  assert.equal(spanAttribute(producer, 'render.job.id'), jobId);
  const consumer = spans.find((s) => s.kind === KIND.CONSUMER);
  assert.ok(consumer, 'no CONSUMER span');
  assert.equal(consumer.parentSpanId, producer.spanId, 'the attempt is a child of the enqueue');
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const underConsumer = (s: OtlpSpan): boolean => {
    for (let cur: OtlpSpan | undefined = s; cur; cur = cur.parentSpanId ? byId.get(cur.parentSpanId) : undefined)
      if (cur === consumer) return true;
    return false;
  };
  const stages = spans.filter((s) => spanAttribute(s, 'render.stage') !== undefined);
  assert.ok(stages.length >= 2, `stage spans: ${stages.map((s) => s.name).join(', ')}`);
  assert.ok(stages.every(underConsumer), 'stage spans sit under the attempt');
  const encode = spans.find((s) => s.name === 'ffmpeg encode');
  assert.ok(encode && underConsumer(encode), 'the FFmpeg encode span sits under the attempt');
}

describe('one trace per job at an OTLP receiver', { timeout: 300_000 }, () => {
  let sink: OtlpSink;
  const services: RunningService[] = [];

  beforeAll(async () => {
    sink = await startOtlpSink(true);
  });
  afterAll(async () => {
    for (const s of services.reverse()) {
      await s.stop();
      s.cleanup();
    }
    await sink.close();
  });

  it('embedded: server → PRODUCER → CONSUMER → stages → ffmpeg encode, one trace id', { timeout: 150_000 }, async () => {
    const svc = await startService({ env: otlpEnv(sink) });
    services.push(svc);
    const t = await renderAndCollect(svc.url, sink);
    assertOneTrace(t, sink);
    assert.ok(t.spans.every((s) => s.service === 'render-o11y'));
  });

  it('Redis: API and worker processes join the same trace', { timeout: 150_000 }, async () => {
    const redisUrl = process.env.REDIS_TEST_URL;
    assert.ok(redisUrl, 'REDIS_TEST_URL is not set: run through scripts/with-redis.sh (make test does)');
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-otlp-'));
    try {
      const env = { ...otlpEnv(sink), REDIS_URL: redisUrl, RENDER_QUEUE_NAME: `otlp-${randomUUID().slice(0, 8)}` };
      const api = await startService({ entry: 'services/api/main.ts', dataDir, env });
      services.push(api);
      services.push(await startService({ entry: 'services/worker/main.ts', dataDir, env }));
      const t = await renderAndCollect(api.url, sink);
      assertOneTrace(t, sink);
      const services_ = new Set(t.spans.map((s) => s.service));
      assert.ok(services_.has('render-api') && services_.has('render-worker'), `services in the trace: ${[...services_].join(', ')}`);
      assert.equal(t.spans.find((s) => s.kind === KIND.CONSUMER)?.service, 'render-worker');
      assert.equal(t.spans.find((s) => s.kind === KIND.PRODUCER)?.service, 'render-api');
    } finally {
      for (const s of services.splice(1)) await s.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
