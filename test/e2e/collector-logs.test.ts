/**
 * The collector's logs pipeline, really run: the collector built from otel-collector/builder-config.yaml
 * runs the committed pipeline `logs` (its processors and its Loki exporter, taken from
 * otel-collector/config.yaml as they are; only the addresses are this test's: a loopback receiver,
 * and an OTLP sink at the exporter's endpoint, where Loki's /otlp would be). The service's records
 * of a failed job arrive there with their trace and job ids and FFmpeg's stderr tail; secrets and
 * query strings in log attributes and bodies do not.
 *
 * Loki itself cannot run here (README, "Stack parts"): what Loki does with what arrives (labels,
 * structured metadata, LogQL) is checked statically in loki/loki.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import YAML from 'yaml';
import { serveFile, unmixableWav } from '../support/hostile-media';
import { submitJob, tinyDeck, waitForStatus, type ApiJob } from '../support/jobs';
import { logAttribute, type OtlpSink, receivedLogRecords, startOtlpSink } from '../support/otlp-receiver';
import { freePort, waitFor } from '../support/ports';
import { startServerProcess, type ServerProcess } from '../support/server-process';
import { REPO_ROOT, startService, type RunningService } from '../support/service';

const committed = YAML.parse(readFileSync(path.join(REPO_ROOT, 'otel-collector', 'config.yaml'), 'utf8'));

/** The committed logs pipeline with this test's addresses. */
function logsOnlyConfig(receiverPort: number, lokiOtlp: string) {
  const pipeline = committed.service.pipelines.logs as { processors: string[]; exporters: string[] };
  assert.deepEqual(pipeline.exporters, ['otlp_http/loki']);
  return (healthPort: number) => ({
    extensions: { health_check: { endpoint: `127.0.0.1:${healthPort}`, path: '/-/ready' } },
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${receiverPort}` } } } },
    processors: Object.fromEntries(pipeline.processors.map((p) => [p, committed.processors[p]])),
    exporters: {
      // JSON so the sink can read what arrives (Loki takes both); everything else as committed.
      'otlp_http/loki': { ...committed.exporters['otlp_http/loki'], endpoint: lokiOtlp, encoding: 'json' },
    },
    service: {
      extensions: ['health_check'],
      telemetry: { metrics: { level: 'none' } },
      pipelines: { logs: { receivers: ['otlp'], processors: pipeline.processors, exporters: pipeline.exporters } },
    },
  });
}

describe('the collector logs pipeline, really run', { timeout: 600_000 }, () => {
  let sink: OtlpSink;
  let collector: ServerProcess;
  let receiver: string;
  let audio: Awaited<ReturnType<typeof serveFile>>;
  let svc: RunningService | undefined;
  let failed: ApiJob;

  beforeAll(async () => {
    const binary = execFileSync(path.join(REPO_ROOT, 'scripts', 'stack-bin.sh'), ['otelcol'], {
      encoding: 'utf8',
      timeout: 3_000_000,
    }).trim();
    sink = await startOtlpSink(true);
    const receiverPort = await freePort();
    receiver = `http://127.0.0.1:${receiverPort}`;
    collector = await startServerProcess({
      binary,
      configName: 'config.yaml',
      config: logsOnlyConfig(receiverPort, `${sink.url}/otlp`),
      argsFor: (file) => [`--config=${file}`],
    });
    audio = await serveFile(unmixableWav(), 'audio/wav');
    svc = await startService({
      telemetry: true,
      env: {
        LOG_LEVEL: 'info',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver,
        OTEL_BLRP_SCHEDULE_DELAY: '200',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=e2e',
      },
    });
    const deck = tinyDeck('collector logs', 1, 1, {
      slides: [{ title: 'sound', audioUrl: `${audio.url}/sound.wav`, duration: 1, transition: 'none' }],
    });
    failed = await waitForStatus(svc.url, (await submitJob(svc.url, deck)).id, ['completed', 'failed'], 180_000);
  });
  afterAll(async () => {
    await svc?.stop();
    svc?.cleanup();
    await collector?.stop();
    await audio?.close();
    await sink?.close();
  });

  it("a failed job's error record reaches Loki's OTLP path with its trace id, job id, stderr tail and the label attributes", async () => {
    assert.equal(failed.status, 'failed');
    const isStderr = (b: string | undefined) => /ffmpeg failed; the last lines of its stderr/.test(b ?? '');
    await waitFor('the stderr record at the sink', () => receivedLogRecords(sink).some((r) => isStderr(r.body?.stringValue)), 60_000, 250);
    assert.ok(
      sink.received.every((r) => r.path === '/otlp/v1/logs'),
      'the exporter posts to Loki’s /otlp/v1/logs',
    );
    const record = receivedLogRecords(sink).find((r) => isStderr(r.body?.stringValue))!;
    assert.equal(record.traceId, failed.traceId);
    assert.equal(logAttribute(record, 'job_id'), failed.id);
    assert.equal(record.severityText, 'error');
    assert.match(record.body?.stringValue ?? '', /Conversion failed|Rematrix|Error/);
    // Loki indexes service.name and deployment.environment: the collector adds the latter from the semconv name.
    assert.equal(record.resource['service.name'], 'render-o11y');
    assert.equal(record.resource['deployment.environment'], 'e2e');
  });

  it('secrets, tokens and query strings in log attributes and bodies are scrubbed on the way', async () => {
    const body = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'render-api' } }] },
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: String(Date.now() * 1e6),
                  severityNumber: 13,
                  severityText: 'warn',
                  body: {
                    stringValue:
                      'webhook to https://hooks.example/cb?sig=s3cr3t-q failed; Authorization: Bearer s3cr3t-bearer; retry with token=s3cr3t-kv&x=1',
                  },
                  attributes: [
                    { key: 'url.full', value: { stringValue: 'https://assets.example/a.png?X-Amz-Signature=s3cr3t-url' } },
                    { key: 'http.request.header.authorization', value: { stringValue: 'Bearer s3cr3t-header' } },
                    { key: 'job_id', value: { stringValue: 'scrub-probe' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(`${receiver}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200);
    await waitFor(
      'the probe record at the sink',
      () => receivedLogRecords(sink).some((r) => logAttribute(r, 'job_id') === 'scrub-probe'),
      30_000,
      250,
    );
    const probe = receivedLogRecords(sink).find((r) => logAttribute(r, 'job_id') === 'scrub-probe')!;
    const text = JSON.stringify(probe);
    assert.ok(!text.includes('s3cr3t'), text);
    assert.equal(logAttribute(probe, 'url.full'), 'https://assets.example/a.png');
    assert.equal(logAttribute(probe, 'http.request.header.authorization'), undefined);
    assert.match(
      probe.body?.stringValue ?? '',
      /https:\/\/hooks\.example\/cb failed; Authorization: Bearer REDACTED; retry with token=REDACTED/,
    );
  });
});
