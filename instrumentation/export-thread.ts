/**
 * The worker thread of ThreadedOtlpExporter (threaded-exporter.ts): receives OTLP request bodies
 * already serialized on the main thread and sends them with the library's own OTLP/HTTP export
 * delegate, so endpoint, headers, timeout, compression, TLS options and retries all come from the
 * standard OTEL_EXPORTER_OTLP_* variables exactly as the stock exporter reads them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { type ExportReply, type ExportRequest, type ThreadOptions, traceEncoding } from './export-thread-protocol';

const options = workerData as ThreadOptions;
const { serializer: library, contentType } = traceEncoding(options.protocol);

/** The bodies arrive serialized: the request side passes them through, the response side is the library's. */
const passThrough = {
  serializeRequest: (body: Uint8Array) => body,
  deserializeResponse: (data: Uint8Array) => library.deserializeResponse(data),
};

const exporter = new OTLPExporterBase<Uint8Array>(
  createOtlpHttpExportDelegate(
    convertLegacyHttpOptions(options.config, 'TRACES', 'v1/traces', { 'Content-Type': contentType }),
    passThrough,
    'otlp_http_span_exporter',
    // The library's self-observability metrics need an SDK, which this thread has not: exports and
    // their failures are counted on the main thread (span-export.ts).
    { name: 'span', countItems: () => 0 },
    undefined,
  ),
);

parentPort?.on('message', (message: ExportRequest) => {
  if (message.kind === 'shutdown') {
    exporter.shutdown().finally(() => parentPort?.postMessage({ kind: 'shutdown' } satisfies ExportReply));
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
