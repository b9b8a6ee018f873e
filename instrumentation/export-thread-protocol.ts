/** What the threaded OTLP exporters (threaded-exporter.ts) and their worker thread (export-thread.ts) share: the encodings and the messages. */
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

/** The OTLP signals the thread carries. */
export type ExportSignal = 'traces' | 'logs';

/** The OTLP/HTTP encodings. */
export type ExportProtocol = 'http/protobuf' | 'http/json';

/** The library's serializers and content type for a protocol: the main thread serializes, the thread sends and reads replies. */
export function encoding(protocol: ExportProtocol) {
  return protocol === 'http/json'
    ? { traces: JsonTraceSerializer, logs: JsonLogsSerializer, contentType: 'application/json' }
    : { traces: ProtobufTraceSerializer, logs: ProtobufLogsSerializer, contentType: 'application/x-protobuf' };
}

/** One signal's exporter settings. */
export interface SignalOptions {
  protocol: ExportProtocol;
  /** The exporter config our code sets (bounds); everything else the library reads from OTEL_EXPORTER_OTLP_*. */
  config: { concurrencyLimit?: number; timeoutMillis?: number };
}

/** What the worker is started with: the signals it sends. */
export type ThreadOptions = Partial<Record<ExportSignal, SignalOptions>>;

/** Main thread → worker: one serialized OTLP request body of a signal to send, or the end. */
export type ExportRequest = { kind: 'export'; signal: ExportSignal; id: number; body: ArrayBuffer } | { kind: 'shutdown' };

/** Worker → main thread: how an export ended, or that the worker's exporters have shut down. */
export type ExportReply = { kind: 'result'; id: number; ok: boolean; error?: string } | { kind: 'shutdown' };
