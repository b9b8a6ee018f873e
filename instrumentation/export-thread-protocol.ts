/** What ThreadedOtlpExporter and its worker thread (export-thread.ts) share: the encoding and the messages. */
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

/** The library's serializer and the content type for a protocol: the main thread serializes, the thread sends and reads replies. */
export function traceEncoding(protocol: ThreadOptions['protocol']) {
  return protocol === 'http/json'
    ? { serializer: JsonTraceSerializer, contentType: 'application/json' }
    : { serializer: ProtobufTraceSerializer, contentType: 'application/x-protobuf' };
}

/** What the worker is started with. */
export interface ThreadOptions {
  protocol: 'http/protobuf' | 'http/json';
  /** The exporter config our code sets (bounds); everything else the library reads from OTEL_EXPORTER_OTLP_*. */
  config: { concurrencyLimit?: number; timeoutMillis?: number };
}

/** Main thread → worker: one serialized OTLP request body to send, or the end. */
export type ExportRequest = { kind: 'export'; id: number; body: ArrayBuffer } | { kind: 'shutdown' };

/** Worker → main thread: how an export ended, or that the worker's exporter has shut down. */
export type ExportReply = { kind: 'result'; id: number; ok: boolean; error?: string } | { kind: 'shutdown' };
