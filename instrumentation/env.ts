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
  const names = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) return ['otlp'];
  return names.includes('none') ? [] : [...new Set(names)];
}

/** RENDER_HTTP_SERVER_SPANS=stock: incoming requests traced by the stock http instrumentation instead of our lean hook (for comparison). */
export function stockHttpServerSpans(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.RENDER_HTTP_SERVER_SPANS ?? '').trim().toLowerCase() === 'stock';
}
