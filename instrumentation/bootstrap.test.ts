import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import {
  logAttribute,
  receivedLogRecords,
  receivedSpans,
  spanAttribute,
  startOtlpSink,
  type OtlpSink,
} from '../test/support/otlp-receiver';
import { freePort, waitFor } from '../test/support/ports';

const ROOT = path.resolve(__dirname, '..');

interface Report {
  collector: boolean;
  sdkLoaded: boolean;
  httpPatched: boolean;
  fsPatched: boolean;
  netPatched: boolean;
  tracing: boolean;
  tcpServers: number;
  exportFailures: number;
  spansDropped: number;
  logExportFailures: number;
  logRecordsDropped: number;
  loggedMs: number;
  rss: number;
  exposition: string | null;
}

interface Probe {
  child: ChildProcess;
  reports: Report[];
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const c of running) c.kill('SIGKILL');
});

function startProbe(env: Record<string, string>, args: string[]): Probe {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './instrumentation/register.ts', 'test/support/telemetry-probe.ts', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  const reports: Report[] = [];
  let out = '';
  let pending = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d;
    pending += d;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try {
        reports.push(JSON.parse(line) as Report);
      } catch {
        // not a report line
      }
    }
  });
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => (running.delete(child), resolve({ code, signal }))),
  );
  return { child, reports, output: () => out, exited };
}

async function firstReport(p: Probe): Promise<Report> {
  await waitFor('a probe report', () => p.reports.length > 0 || p.child.exitCode !== null, 20_000, 50);
  assert.ok(p.reports.length > 0, `no report:\n${p.output()}`);
  return p.reports[0];
}

/** A collector that accepts connections and never answers. */
async function silentCollector(): Promise<{ url: string; requests(): number; close(): Promise<void> }> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server = http.createServer(() => void requests++);
  server.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('instrumentation bootstrap (child processes)', { timeout: 90_000 }, () => {
  it('OTEL_SDK_DISABLED=true constructs nothing', async () => {
    const p = startProbe({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }, ['probe']);
    const r = await firstReport(p);
    assert.equal(r.collector, false, 'no metrics collector: the app serves the comment-only exposition');
    assert.equal(r.sdkLoaded, false, 'SDK modules are not even loaded');
    assert.equal(r.httpPatched, false, 'no instrumentation applied');
    assert.equal(r.tracing, false, 'spans are no-ops');
    assert.equal(r.tcpServers, 0, 'no Prometheus port (9464) or any other listener');
    assert.equal((await p.exited).code, 0);
  });

  it('enabled: selected instrumentations only, pull metrics, no listening port', async () => {
    const p = startProbe({}, ['serve']);
    const r = await firstReport(p);
    assert.equal(r.collector, true);
    assert.equal(r.httpPatched, true, 'http is instrumented');
    assert.equal(r.fsPatched, false, 'fs is not');
    assert.equal(r.netPatched, false, 'net is not');
    assert.equal(r.tcpServers, 0, 'metrics are pulled through the app, not served on 9464');
    assert.equal(r.tracing, true, 'OTEL_TRACES_EXPORTER=none still gives spans real trace ids');
    assert.match(r.exposition!, /^target_info\{service_name="render-o11y",/m);
    // The event-loop delay histogram has samples only after its first monitoring interval.
    await waitFor(
      'runtime-node event-loop delay',
      () => /^nodejs_eventloop_delay_p99_seconds \S+$/m.test(p.reports.at(-1)?.exposition ?? ''),
      10_000,
      100,
    );
    p.child.kill('SIGTERM');
    assert.equal((await p.exited).code, 0);
  });

  it('OTEL_TRACES_EXPORTER=none: spans get ids but nothing is exported, even with an endpoint set', async () => {
    const collector = await silentCollector();
    try {
      const p = startProbe({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '50' }, [
        'serve',
        '20',
      ]);
      assert.equal((await firstReport(p)).tracing, true, p.output());
      // Five reports are 1 s, twenty batch delays: an exporter, had one been built, would have sent by now.
      await waitFor('five probe reports', () => p.reports.length >= 5, 20_000, 50);
      p.child.kill('SIGTERM');
      assert.equal((await p.exited).code, 0, p.output());
      assert.equal(collector.requests(), 0, 'no span reached the collector');
      assert.equal(p.reports.at(-1)!.spansDropped, 0, 'nothing counted as dropped either');
    } finally {
      await collector.close();
    }
  });

  it('a collector refusing connections: spans counted as failed and dropped, the process keeps working', async () => {
    const closed = await freePort();
    const p = startProbe(
      {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`,
        OTEL_BSP_SCHEDULE_DELAY: '50',
        OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
      },
      ['serve', '5'],
    );
    await waitFor(
      'export failure counted',
      () => {
        const last = p.reports.at(-1);
        return last !== undefined && last.exportFailures >= 1 && last.spansDropped >= 5;
      },
      30_000,
      100,
    );
    p.child.kill('SIGTERM');
    const exit = await p.exited;
    assert.equal(exit.code, 0, p.output());
  });

  it('a collector that never answers: bounded queue, drops counted, SIGTERM exits within 5 s', async () => {
    const collector = await silentCollector();
    try {
      const p = startProbe(
        {
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
          OTEL_BSP_SCHEDULE_DELAY: '50',
          OTEL_BSP_MAX_QUEUE_SIZE: '100',
          OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '50',
          OTEL_EXPORTER_OTLP_TIMEOUT: '30000',
        },
        ['serve', '5000'],
      );
      // 5000 spans ended at once into a queue of 100 (plus at most the 4 batches of 50 in flight): the rest are refused and counted.
      await waitFor('queue overflow counted', () => (p.reports.at(-1)?.spansDropped ?? 0) >= 5000 - 100 - 4 * 50, 30_000, 100);
      await waitFor('the collector got a request', () => collector.requests() > 0, 10_000, 50);
      const stopAt = Date.now();
      p.child.kill('SIGTERM');
      const exit = await p.exited;
      const took = Date.now() - stopAt;
      assert.equal(exit.code, 0, p.output());
      assert.ok(took < 5000, `shutdown took ${took} ms with a hung collector`);
    } finally {
      await collector.close();
    }
  });

  it('without an app SIGTERM handler the signal still ends the process after a bounded flush', async () => {
    const collector = await silentCollector();
    try {
      const p = startProbe({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '50' }, [
        'no-handler',
        '10',
      ]);
      await firstReport(p);
      const stopAt = Date.now();
      p.child.kill('SIGTERM');
      const exit = await p.exited;
      assert.equal(exit.signal, 'SIGTERM', p.output());
      assert.ok(Date.now() - stopAt < 5000);
    } finally {
      await collector.close();
    }
  });

  /**
   * Runs the probe ending `count` spans against a recording receiver until they arrived (decoded
   * for http/json; for http/protobuf, every span name seen in the raw bodies); returns the receiver
   * (caller closes it).
   */
  async function exportThrough(env: Record<string, string>, count: number): Promise<{ sink: OtlpSink; output: string }> {
    const sink = await startOtlpSink(true);
    try {
      const p = startProbe({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_BSP_SCHEDULE_DELAY: '50', ...env }, [
        'serve',
        String(count),
      ]);
      await waitFor('the probe spans at the receiver', () => spansArrived(sink, count) || p.child.exitCode !== null, 20_000, 50);
      p.child.kill('SIGTERM');
      assert.equal((await p.exited).code, 0, p.output());
      return { sink, output: p.output() };
    } catch (err) {
      await sink.close();
      throw err;
    }
  }

  const probeSpanNames = (count: number) => Array.from({ length: count }, (_, i) => `work ${i}`);

  function spansArrived(sink: OtlpSink, count: number): boolean {
    if (receivedSpans(sink).filter((s) => s.name.startsWith('work ')).length >= count) return true;
    const raw = Buffer.concat(sink.received.filter((r) => r.contentType.startsWith('application/x-protobuf')).map((r) => r.body));
    return raw.length > 0 && probeSpanNames(count).every((name) => raw.includes(name));
  }

  /** The probe's spans decoded from what the receiver got (http/json): names, int attributes, ids and resource. */
  function assertProbeSpans(sink: OtlpSink, count: number): void {
    const spans = receivedSpans(sink).filter((s) => s.name.startsWith('work '));
    assert.deepEqual(spans.map((s) => s.name).sort(), probeSpanNames(count).sort());
    for (const s of spans) {
      assert.equal(spanAttribute(s, 'i'), Number(s.name.slice('work '.length)));
      assert.match(s.traceId, /^[0-9a-f]{32}$/);
      assert.match(s.spanId, /^[0-9a-f]{16}$/);
      assert.equal(s.service, 'render-o11y');
    }
  }

  /** Every request was OTLP/protobuf to /v1/traces, binary rather than JSON, and carried each probe span's name. */
  function assertProtobufExport(sink: OtlpSink, count: number): void {
    assert.ok(sink.received.length > 0);
    for (const r of sink.received) {
      assert.equal(r.path, '/v1/traces');
      assert.equal(r.contentType, 'application/x-protobuf');
    }
    const bodies = Buffer.concat(sink.received.map((r) => r.body));
    assert.throws(() => JSON.parse(bodies.toString('utf8')), 'the body is not JSON');
    assert.ok(!bodies.includes('"traceId"') && !bodies.includes('resourceSpans'), 'no OTLP/JSON keys in the body');
    for (const name of probeSpanNames(count)) assert.ok(bodies.includes(name), `span name ${name} in the body`);
    assert.ok(bodies.includes('render-o11y'), 'the service name in the body');
  }

  it('exports http/protobuf by default: application/x-protobuf to /v1/traces', async () => {
    const { sink } = await exportThrough({}, 5);
    try {
      assertProtobufExport(sink, 5);
    } finally {
      await sink.close();
    }
  });

  it('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json exports application/json, decodable', async () => {
    const { sink } = await exportThrough(
      { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' },
      3,
    );
    try {
      for (const r of sink.received) {
        assert.equal(r.path, '/v1/traces');
        assert.equal(r.contentType, 'application/json');
        assert.ok(JSON.parse(r.body.toString('utf8')).resourceSpans);
      }
      assertProbeSpans(sink, 3);
    } finally {
      await sink.close();
    }
  });

  it('OTEL_EXPORTER_OTLP_PROTOCOL=grpc warns and falls back to http/protobuf', async () => {
    const { sink, output } = await exportThrough({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 2);
    try {
      assert.match(output, /OTEL_EXPORTER_OTLP_PROTOCOL="grpc".*http\/protobuf/);
      assertProtobufExport(sink, 2);
    } finally {
      await sink.close();
    }
  });

  it('pino lines go out as OTLP log records (http/protobuf by default, to /v1/logs) from the export thread', async () => {
    const sink = await startOtlpSink(true);
    try {
      const p = startProbe({ OTEL_LOGS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_BLRP_SCHEDULE_DELAY: '50' }, [
        'serve',
        '0',
        '5',
      ]);
      const logBodies = () => Buffer.concat(sink.received.filter((r) => r.path === '/v1/logs').map((r) => r.body));
      await waitFor(
        'the probe lines at the receiver',
        () => [0, 1, 2, 3, 4].every((i) => logBodies().includes(`probe line ${i}`)),
        20_000,
        50,
      );
      p.child.kill('SIGTERM');
      assert.equal((await p.exited).code, 0, p.output());
      for (const r of sink.received) {
        assert.equal(r.path, '/v1/logs', 'no trace request with OTEL_TRACES_EXPORTER=none');
        assert.equal(r.contentType, 'application/x-protobuf');
      }
      // stdout/stderr keeps the JSON lines as before.
      assert.match(p.output(), /"msg":"probe line 4"/);
    } finally {
      await sink.close();
    }
  });

  it('http/json log records carry the span ids, severity, the job id and the resource identity', async () => {
    const sink = await startOtlpSink(true);
    try {
      const p = startProbe(
        {
          OTEL_LOGS_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
          OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
          OTEL_BLRP_SCHEDULE_DELAY: '50',
        },
        ['serve', '0', '3'],
      );
      await waitFor('three records', () => receivedLogRecords(sink).length >= 3, 20_000, 50);
      p.child.kill('SIGTERM');
      assert.equal((await p.exited).code, 0, p.output());
      const records = receivedLogRecords(sink);
      assert.deepEqual(records.map((r) => r.body?.stringValue).sort(), ['probe line 0', 'probe line 1', 'probe line 2']);
      const traceIds = new Set<string>();
      for (const r of records) {
        assert.equal(r.severityText, 'warn');
        assert.equal(r.severityNumber, 13);
        assert.match(r.traceId ?? '', /^[0-9a-f]{32}$/);
        assert.match(r.spanId ?? '', /^[0-9a-f]{16}$/);
        traceIds.add(r.traceId!);
        assert.equal(logAttribute(r, 'job_id'), `job-${r.body?.stringValue?.slice('probe line '.length)}`);
        assert.equal(r.resource['service.name'], 'render-o11y');
        assert.ok(r.resource['service.instance.id']);
        // The ids are the record's own fields, not duplicated as attributes.
        assert.equal(logAttribute(r, 'trace_id'), undefined);
      }
      assert.equal(traceIds.size, 3, 'each line carries the span it was written in');
    } finally {
      await sink.close();
    }
  });

  it('OTEL_LOGS_EXPORTER=none: no log record reaches the collector', async () => {
    const sink = await startOtlpSink(true);
    try {
      const p = startProbe({ OTEL_LOGS_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_BLRP_SCHEDULE_DELAY: '50' }, [
        'serve',
        '0',
        '20',
      ]);
      await waitFor('five probe reports', () => p.reports.length >= 5, 20_000, 50);
      p.child.kill('SIGTERM');
      assert.equal((await p.exited).code, 0, p.output());
      assert.equal(sink.requests(), 0);
      assert.match(p.output(), /"msg":"probe line 19"/, 'stdout JSON is unaffected');
    } finally {
      await sink.close();
    }
  });

  it('a log collector that never answers: logging does not wait, bounded queue, drops counted, SIGTERM exits within 5 s', async () => {
    const collector = await silentCollector();
    try {
      const p = startProbe(
        {
          OTEL_LOGS_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
          OTEL_BLRP_SCHEDULE_DELAY: '50',
          OTEL_BLRP_MAX_QUEUE_SIZE: '100',
          OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '50',
          OTEL_EXPORTER_OTLP_TIMEOUT: '30000',
        },
        ['serve', '0', '5000'],
      );
      // 5000 lines at once into a queue of 100 (plus the batches in flight): the rest are refused and counted.
      await waitFor('log queue overflow counted', () => (p.reports.at(-1)?.logRecordsDropped ?? 0) >= 5000 - 100 - 4 * 50, 30_000, 100);
      await waitFor('the collector got a request', () => collector.requests() > 0, 10_000, 50);
      const report = p.reports.at(-1)!;
      // Writing the lines never waited on the export: 5000 lines with a hung collector take what they take without one.
      assert.ok(report.loggedMs < 10_000, `logging 5000 lines took ${report.loggedMs} ms`);
      const stopAt = Date.now();
      p.child.kill('SIGTERM');
      const exit = await p.exited;
      const took = Date.now() - stopAt;
      assert.equal(exit.code, 0, p.output());
      assert.ok(took < 5000, `shutdown took ${took} ms with a hung collector`);
    } finally {
      await collector.close();
    }
  });

  it('a log collector refusing connections: failed log exports and their records are counted', async () => {
    const closed = await freePort();
    const p = startProbe(
      {
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`,
        OTEL_BLRP_SCHEDULE_DELAY: '50',
        OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
      },
      ['serve', '0', '5'],
    );
    await waitFor(
      'log export failure counted',
      () => {
        const last = p.reports.at(-1);
        return last !== undefined && last.logExportFailures >= 1 && last.logRecordsDropped >= 5 && last.spansDropped === 0;
      },
      30_000,
      100,
    );
    p.child.kill('SIGTERM');
    assert.equal((await p.exited).code, 0, p.output());
  });
});
