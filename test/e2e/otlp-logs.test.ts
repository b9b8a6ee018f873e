/**
 * The services' pino records as OTLP log records (received here by a plain OTLP/HTTP sink in
 * http/json; the real collector → Loki path is test/e2e/loki-logs.test.ts): each carries the
 * active span's ids, the resource's service.name and service.instance.id, a severity and the job id;
 * a failed encode leaves one error record with FFmpeg's stderr tail on the attempt's span; the
 * deck's text reaches no record; stdout keeps its JSON lines.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { serveFile, unmixableWav } from '../support/hostile-media';
import { submitJob, tinyDeck, waitForStatus, type ApiJob } from '../support/jobs';
import {
  logAttribute,
  type OtlpLogRecord,
  type OtlpSink,
  receivedLogRecords,
  receivedSpans,
  startOtlpSink,
} from '../support/otlp-receiver';
import { waitFor } from '../support/ports';
import { startService, type RunningService } from '../support/service';

const CANARY = 'CANARY-deck-text-5b1e0c';

describe('OTLP logs from the service', { timeout: 180_000 }, () => {
  let sink: OtlpSink;
  let audio: Awaited<ReturnType<typeof serveFile>>;
  let svc: RunningService | undefined;
  let failed: ApiJob;
  let completed: ApiJob;

  beforeAll(async () => {
    sink = await startOtlpSink(true);
    audio = await serveFile(unmixableWav(), 'audio/wav');
    svc = await startService({
      telemetry: true,
      env: {
        LOG_LEVEL: 'info',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_BLRP_SCHEDULE_DELAY: '200',
      },
    });
    const deck = tinyDeck(`${CANARY} title`, 1, 1, {
      slides: [
        { title: `${CANARY} slide`, content: `${CANARY} content`, narration: `${CANARY} narration`, duration: 1, transition: 'none' },
        { title: 'sound', audioUrl: `${audio.url}/sound.wav`, duration: 1, transition: 'none' },
      ],
    });
    const submitted = await submitJob(svc.url, deck);
    failed = await waitForStatus(svc.url, submitted.id, ['completed', 'failed'], 120_000);
    completed = await waitForStatus(svc.url, (await submitJob(svc.url, tinyDeck('fine', 1, 1))).id, ['completed', 'failed'], 120_000);
  });
  afterAll(async () => {
    await svc?.stop();
    svc?.cleanup();
    await audio?.close();
    await sink?.close();
  });

  const records = () => receivedLogRecords(sink);
  const stderrRecord = (r: OtlpLogRecord) =>
    r.traceId === failed.traceId && /ffmpeg failed; the last lines of its stderr/.test(r.body?.stringValue ?? '');

  it('a failed encode leaves one error record with FFmpeg stderr tail on the attempt span', async () => {
    assert.equal(failed.status, 'failed', JSON.stringify(failed.error));
    assert.equal(failed.error?.code, 'FFMPEG_FAILED');
    await waitFor('the stderr record', () => records().some(stderrRecord), 20_000, 200);
    const found = records().filter(stderrRecord);
    assert.equal(found.length, 1, 'one record per failed run');
    const [record] = found;
    assert.equal(record.severityText, 'error');
    assert.equal(record.severityNumber, 17);
    assert.equal(logAttribute(record, 'job_id'), failed.id);
    assert.match(record.body?.stringValue ?? '', /Conversion failed|Rematrix|Error/);
    const lines = (record.body?.stringValue ?? '').split('\n').length - 1;
    assert.ok(lines >= 1 && lines <= 20, `${lines} stderr lines`);
    // The span it names is the attempt's CONSUMER span of that trace.
    await waitFor('the attempt span', () => receivedSpans(sink).some((s) => s.spanId === record.spanId), 20_000, 200);
    const span = receivedSpans(sink).find((s) => s.spanId === record.spanId)!;
    assert.equal(span.kind, 5, `the record sits on ${span.name}`);
    assert.equal(span.traceId, failed.traceId);
  });

  it('every record has a severity and the resource identity; job records carry trace, span and job ids', async () => {
    await waitFor(
      'the completed job records',
      () =>
        records().some((r) => logAttribute(r, 'job_id') === completed.id && /^job complete: completed$/.test(r.body?.stringValue ?? '')),
      20_000,
      200,
    );
    const all = records();
    for (const r of all) {
      assert.ok((r.severityNumber ?? 0) > 0 && r.severityText, JSON.stringify(r));
      assert.equal(r.resource['service.name'], 'render-o11y');
      assert.match(r.resource['service.instance.id'] ?? '', /^[0-9a-f-]{36}$/);
    }
    const done = all.find(
      (r) => logAttribute(r, 'job_id') === completed.id && /^job complete: completed$/.test(r.body?.stringValue ?? ''),
    )!;
    assert.equal(done.traceId, completed.traceId);
    assert.match(done.spanId ?? '', /^[0-9a-f]{16}$/);
    // The request log of the submission: inside the SERVER span, with the job id the route set.
    const submit = all.find((r) => logAttribute(r, 'job_id') === completed.id && logAttribute(r, 'path') === '/api/jobs');
    assert.ok(submit, 'the submission request record');
    assert.match(submit.traceId ?? '', /^[0-9a-f]{32}$/);
  });

  it("the deck's text reaches no log record, and stdout keeps its JSON lines", async () => {
    const everything = sink.received.filter((r) => r.path === '/v1/logs').map((r) => r.body.toString('utf8'));
    assert.ok(everything.length > 0);
    for (const body of everything) assert.ok(!body.includes('CANARY'), 'a log record holds deck text');
    const stdout = svc!.output();
    assert.ok(!stdout.includes('CANARY'), 'a stdout line holds deck text');
    const line = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.job_id === failed.id && l.msg === 'job fail: failed');
    assert.ok(line, "the lifecycle's 'job fail: failed' JSON line on stdout");
    assert.equal(line.trace_id, failed.traceId);
  });
});
