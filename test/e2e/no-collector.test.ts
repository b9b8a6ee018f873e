/**
 * Span and log export on with no collector at all (the OTLP endpoint is a closed loopback port):
 * jobs still complete, failed exports are counted, spans and log records are counted as dropped
 * instead of queued without bound, memory stays bounded over many jobs, and SIGTERM still ends the
 * process promptly.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { submitJob, tinyDeck, waitForStatus } from '../support/jobs';
import { freePort, waitFor } from '../support/ports';
import { startService, type RunningService } from '../support/service';

const JOBS = 30;

async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/api/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function renderBatch(url: string, count: number): Promise<void> {
  const ids = [];
  for (let i = 0; i < count; i++) ids.push((await submitJob(url, tinyDeck(`no collector ${i}`, 1, 1))).id);
  for (const id of ids) assert.equal((await waitForStatus(url, id, ['completed', 'failed'], 120_000)).status, 'completed');
}

describe('no collector reachable', { timeout: 300_000 }, () => {
  let svc: RunningService | undefined;

  beforeAll(async () => {
    svc = await startService({
      env: {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_LOGS_EXPORTER: 'otlp',
        // Every request and attempt writes a record: the log queue fills well within the run.
        LOG_LEVEL: 'info',
        OTEL_BLRP_MAX_QUEUE_SIZE: '64',
        OTEL_BLRP_SCHEDULE_DELAY: '100',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
        RENDER_CONCURRENCY: '2',
      },
    });
  });
  afterAll(async () => {
    await svc?.stop();
    svc?.cleanup();
  });

  it(`${JOBS} jobs complete, failed span and log exports are counted and RSS stays bounded`, { timeout: 240_000 }, async () => {
    await renderBatch(svc!.url, 5);
    const warmRss = await metric(svc!.url, 'system_memory_usage{type="rss"}');
    await renderBatch(svc!.url, JOBS - 5);
    const rss = await metric(svc!.url, 'system_memory_usage{type="rss"}');
    assert.ok(warmRss > 0);
    // Spans of every job are refused and dropped; a leak would grow with them, the bounded queue does not.
    assert.ok(rss < warmRss + 64 * 1024 * 1024, `RSS grew from ${warmRss} to ${rss} bytes over ${JOBS - 5} jobs`);
    // The exporter retries a refused connection until its timeout before it reports the failure.
    await waitFor(
      'failed exports counted',
      async () => (await metric(svc!.url, 'telemetry_export_failures_total{signal="traces"}')) >= 1,
      20_000,
      200,
    );
    assert.ok((await metric(svc!.url, 'telemetry_spans_dropped_total')) >= 1, 'their spans are counted as dropped');
    await waitFor(
      'failed log exports counted',
      async () => (await metric(svc!.url, 'telemetry_export_failures_total{signal="logs"}')) >= 1,
      20_000,
      200,
    );
    assert.ok((await metric(svc!.url, 'telemetry_log_records_dropped_total')) >= 1, 'their log records are counted as dropped');
    assert.equal(await metric(svc!.url, 'render_jobs_total{status="completed"}'), JOBS);
  });

  it('SIGTERM ends the process within 5 s', { timeout: 20_000 }, async () => {
    const started = Date.now();
    const code = await svc!.stop(10_000);
    const took = Date.now() - started;
    assert.equal(code, 0, svc!.output());
    assert.ok(took < 5000, `exit took ${took} ms`);
  });
});
