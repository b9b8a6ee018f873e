/**
 * The worker thread of the threaded OTLP exporters (threaded-exporter.ts): receives OTLP request
 * bodies (spans and log records) already serialized on the main thread and sends them with the
 * library's own OTLP/HTTP export delegate, one per signal, so endpoint, headers, timeout,
 * compression, TLS options and retries all come from the standard OTEL_EXPORTER_OTLP_* variables
 * (and their _TRACES_ / _LOGS_ forms) exactly as the stock exporters read them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { type ExportReply, type ExportRequest, type ExportSignal, encoding, type ThreadOptions } from './export-thread-protocol';

const options = workerData as ThreadOptions;

/** The stock exporters' names, paths and env prefixes per signal. */
const SIGNALS = {
  traces: { env: 'TRACES', path: 'v1/traces', name: 'otlp_http_span_exporter', item: 'span' },
  logs: { env: 'LOGS', path: 'v1/logs', name: 'otlp_http_log_exporter', item: 'log' },
} as const;

function exporterFor(signal: ExportSignal): OTLPExporterBase<Uint8Array> | undefined {
  const settings = options[signal];
  if (!settings) return undefined;
  const { contentType, ...serializers } = encoding(settings.protocol);
  const library = serializers[signal];
  const s = SIGNALS[signal];
  // The bodies arrive serialized: the request side passes them through, the response side is the library's.
  const passThrough = {
    serializeRequest: (body: Uint8Array) => body,
    deserializeResponse: (data: Uint8Array) => library.deserializeResponse(data),
  };
  return new OTLPExporterBase<Uint8Array>(
    createOtlpHttpExportDelegate(
      convertLegacyHttpOptions(settings.config, s.env, s.path, { 'Content-Type': contentType }),
      passThrough,
      s.name,
      // The library's self-observability metrics need an SDK, which this thread has not: exports and
      // their failures are counted on the main thread (span-export.ts, log-export.ts).
      { name: s.item, countItems: () => 0 },
      undefined,
    ),
  );
}

const exporters: Partial<Record<ExportSignal, OTLPExporterBase<Uint8Array>>> = {
  traces: exporterFor('traces'),
  logs: exporterFor('logs'),
};

parentPort?.on('message', (message: ExportRequest) => {
  if (message.kind === 'shutdown') {
    Promise.allSettled(Object.values(exporters).map((e) => e.shutdown())).finally(() =>
      parentPort?.postMessage({ kind: 'shutdown' } satisfies ExportReply),
    );
    return;
  }
  const exporter = exporters[message.signal];
  if (!exporter) {
    parentPort?.postMessage({ kind: 'result', id: message.id, ok: false, error: `no ${message.signal} exporter` } satisfies ExportReply);
    return;
  }
  exporter.export(new Uint8Array(message.body), (result) =>
    parentPort?.postMessage({
      kind: 'result',
      id: message.id,
      ok: result.code === ExportResultCode.SUCCESS,
      error: result.error ? String(result.error.message ?? result.error) : undefined,
    } satisfies ExportReply),
  );
});
