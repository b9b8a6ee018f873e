import { test } from 'vitest';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { installTestTelemetry } from '../../test/support/telemetry';
import { createEmbeddedBackend } from '../queue/embedded';
import { newJobRecord, type JobRecord } from '../shared/job';
import { ATTR, EVENTS } from '../telemetry/attributes';
import { startEnqueueSpan } from '../telemetry/tracing';
import { startWorkerRuntime } from './runtime';
import { createLocalStorage } from '../storage/local';
import { instrumentStorage } from '../telemetry/storage-telemetry';
import { deck, quietLogger, serveHttp, testConfig } from '../../test/support/worker';

const telemetry = installTestTelemetry();

test('an attempt is one CONSUMER span under the enqueue, with stage and asset spans, and counted by status, category and stage', {
  timeout: 90_000,
}, async () => {
  const assets = await serveHttp((req, res) => {
    res.writeHead(req.url?.startsWith('/gone') ? 404 : 503);
    res.end();
  });
  const { config, cleanup } = testConfig({ RENDER_MAX_ATTEMPTS: '2', RENDER_HEARTBEAT_MS: '200' });
  const backend = await createEmbeddedBackend(config, quietLogger);
  const worker = await startWorkerRuntime({
    backend,
    config,
    logger: quietLogger,
    storage: instrumentStorage(createLocalStorage(config.outputDir)),
  });
  const submit = async (body: Record<string, unknown>) => {
    const id = randomUUID();
    const { span, carrier } = startEnqueueSpan(id, backend);
    await backend.store.create({ ...newJobRecord(id, deck(body), config.maxAttempts), traceCarrier: carrier });
    await backend.enqueue(id, carrier);
    span.end();
    return { id, traceId: span.spanContext().traceId, enqueueSpanId: span.spanContext().spanId };
  };
  const wait = async (id: string): Promise<JobRecord> => {
    for (let i = 0; i < 1200; i++) {
      const job = await backend.store.get(id);
      if (job && ['completed', 'failed'].includes(job.status)) return job;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('job did not finish');
  };
  try {
    const ok = await submit({ slides: [{ title: 'a', narration: 'Telemetry test.', duration: 1 }] });
    const gone = await submit({ slides: [{ title: 'b', imageUrl: `${assets.url}/gone.png?token=secret` }] });
    const flaky = await submit({ slides: [{ title: 'c', imageUrl: `${assets.url}/flaky.png` }] });
    assert.equal((await wait(ok.id)).status, 'completed');
    assert.equal((await wait(gone.id)).status, 'failed');
    assert.equal((await wait(flaky.id)).status, 'failed');
    // The record is final a moment before the last attempt's CONSUMER span ends: wait for every
    // attempt's span (the flaky job has two; waiting for any one of them raced with the second).
    const expected: [string, number][] = [
      [ok.id, 1],
      [gone.id, 1],
      [flaky.id, 2],
    ];
    for (let i = 0; i < 200; i++) {
      const ended = telemetry
        .spans()
        .filter((s) => s.kind === SpanKind.CONSUMER)
        .map((s) => s.attributes[ATTR.RENDER_JOB_ID]);
      if (expected.every(([id, n]) => ended.filter((e) => e === id).length >= n)) break;
      await new Promise((r) => setTimeout(r, 25));
    }

    const spans = telemetry.spans();
    const consumer = spans.filter((s) => s.kind === SpanKind.CONSUMER && s.attributes[ATTR.RENDER_JOB_ID] === ok.id);
    assert.equal(consumer.length, 1);
    assert.equal(consumer[0].spanContext().traceId, ok.traceId);
    assert.equal(consumer[0].parentSpanContext?.spanId, ok.enqueueSpanId);
    const inTrace = spans.filter((s) => s.spanContext().traceId === ok.traceId).map((s) => s.name);
    for (const name of [
      'render fetch',
      'render tts',
      'tts narration',
      'render encode',
      'ffmpeg encode',
      'ffmpeg slide picture',
      'ffmpeg mux',
      'render store',
      'storage put',
    ])
      assert.ok(inTrace.includes(name), name);
    const put = spans.find((s) => s.name === 'storage put' && s.spanContext().traceId === ok.traceId);
    const store = spans.find((s) => s.name === 'render store' && s.spanContext().traceId === ok.traceId);
    assert.equal(put?.parentSpanContext?.spanId, store?.spanContext().spanId, 'the upload is a child of the store stage');
    assert.match(String(put?.attributes[ATTR.RENDER_STORAGE_KEY]), new RegExp(`^${ok.id}\\.a1-`));
    const encode = spans.find((s) => s.name === 'ffmpeg encode' && s.spanContext().traceId === ok.traceId);
    assert.ok(encode?.events.some((e) => e.name === EVENTS.FFMPEG_PROGRESS));
    assert.equal(encode?.attributes[ATTR.RENDER_FFMPEG_EXIT_CODE], 0);

    const asset = spans.find((s) => s.name === 'fetch image' && s.spanContext().traceId === gone.traceId);
    assert.equal(asset?.attributes['url.full'], assets.url, 'only scheme, host and port on spans: no path, no query');
    const flakyAttempts = spans.filter((s) => s.kind === SpanKind.CONSUMER && s.attributes[ATTR.RENDER_JOB_ID] === flaky.id);
    assert.equal(flakyAttempts.length, 2);
    assert.ok(flakyAttempts.some((s) => s.events.some((e) => e.name === EVENTS.JOB_RETRY_SCHEDULED)));
    assert.ok(flakyAttempts.every((s) => s.attributes[ATTR.RENDER_ERROR_CATEGORY] === 'network'));

    const text = await telemetry.reader.collector().prometheus();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
    assert.equal(value('render_jobs_total{status="completed"}'), 1);
    assert.equal(value('render_jobs_total{status="failed"}'), 2);
    assert.equal(value('render_jobs_total{status="retrying"}'), 1);
    assert.ok(!/render_jobs_total\{status="processing"\}/.test(text), 'processing is not a counted status');
    assert.equal(value('render_errors_total{category="validation"}'), 1);
    assert.equal(value('render_errors_total{category="network"}'), 1, 'one failed job is one error, whatever its attempts');
    assert.equal(value('render_retries_total{category="network"}'), 1);
    assert.equal(value('render_stage_duration_seconds_count{stage="encode"}'), 1);
    assert.equal(value('render_duration_seconds_count{status="failed"}'), 2);
    assert.equal(value('render_jobs_in_progress'), 0);
    assert.ok(value('render_output_video_seconds_total') >= 1);
    // Cost per rendered second: FFmpeg's CPU by stage, and the seconds the encode produced.
    assert.ok(value('render_cpu_seconds_total{stage="encode"}') > 0);
    assert.ok(value('render_output_seconds_total') >= 1);
    assert.equal(value('render_storage_operation_duration_seconds_count{operation="put",outcome="ok"}'), 1);
    for (const id of [ok.id, gone.id, flaky.id]) assert.ok(!text.includes(id), 'job ids never become labels');
  } finally {
    await worker.close();
    await backend.close();
    cleanup();
    await assets.close();
    await telemetry.shutdown();
  }
});
