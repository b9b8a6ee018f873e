/** The OTEL_* environment variables the bootstrap reads itself (the SDK and exporter read the rest). */

/** OTEL_SDK_DISABLED=true (case-insensitive), as the spec defines the boolean. */
export function telemetryDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true';
}

/** A positive integer variable, or `fallback` when unset or invalid. */
export function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const n = Number(env[name]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** The trace exporters asked for by OTEL_TRACES_EXPORTER: `otlp` by default, none when it lists `none`. */
export function traceExporterNames(env: NodeJS.ProcessEnv = process.env): string[] {
  return exporterNames(env.OTEL_TRACES_EXPORTER);
}

/** The log exporters asked for by OTEL_LOGS_EXPORTER: `otlp` by default, none when it lists `none`. */
export function logExporterNames(env: NodeJS.ProcessEnv = process.env): string[] {
  return exporterNames(env.OTEL_LOGS_EXPORTER);
}

function exporterNames(value: string | undefined): string[] {
  const names = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) return ['otlp'];
  return names.includes('none') ? [] : [...new Set(names)];
}

/** RENDER_HTTP_SERVER_SPANS=stock: incoming requests traced by the stock http instrumentation instead of our lean hook (for comparison). */
export function stockHttpServerSpans(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.RENDER_HTTP_SERVER_SPANS ?? '').trim().toLowerCase() === 'stock';
}

/** The OTLP/HTTP encodings we can export traces and logs with. */
export type OtlpTracesProtocol = 'http/protobuf' | 'http/json';

/** The traces protocol (otlpProtocol for `TRACES`). */
export function otlpTracesProtocol(env: NodeJS.ProcessEnv = process.env): { protocol: OtlpTracesProtocol; warning?: string } {
  return otlpProtocol('TRACES', env);
}

/**
 * A signal's protocol per the spec: OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL,
 * else `http/protobuf`. `grpc` (no grpc exporter in our set) and unknown values fall back to
 * `http/protobuf` with a warning for the caller to print.
 */
export function otlpProtocol(
  signal: 'TRACES' | 'LOGS',
  env: NodeJS.ProcessEnv = process.env,
): { protocol: OtlpTracesProtocol; warning?: string } {
  // An empty signal-specific value counts as unset, as in the SDK's own getStringFromEnv.
  const own = env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`]?.trim();
  const name = own ? `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL` : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const value = own || env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim();
  if (!value) return { protocol: 'http/protobuf' };
  if (value === 'http/protobuf' || value === 'http/json') return { protocol: value };
  const why = value === 'grpc' ? 'grpc is not available in this build' : 'unknown protocol';
  return { protocol: 'http/protobuf', warning: `${name}="${value}": ${why}, exporting ${signal.toLowerCase()} with http/protobuf` };
}
