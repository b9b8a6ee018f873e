/**
 * The handoff between the app's scrape routes (`/api/metrics`, a worker's `/metrics`) and the
 * metrics reader that `instrumentation/` installs. The app never imports the SDK: the bootstrap
 * publishes a collector under a `Symbol.for` key (which survives a second copy of this module, as
 * in shutdown.ts), and when telemetry is disabled there is none.
 */

/** What the bootstrap publishes: one collection, serialized each way a scraper may ask for. */
export interface MetricsCollector {
  /** Prometheus text exposition format 0.0.4. */
  prometheus(): Promise<string>;
  /** OpenMetrics 1.0 text: the same series, plus histogram exemplars and `# EOF`. */
  openMetrics(): Promise<string>;
  /** The same values as JSON. */
  json(): Promise<unknown>;
}

const KEY = Symbol.for('render-o11y.metrics-collector');

/** Called by the instrumentation bootstrap once its reader is registered. */
export function publishMetricsCollector(collector: MetricsCollector): void {
  (globalThis as Record<symbol, unknown>)[KEY] = collector;
}

/** The published collector, or null when telemetry is disabled. */
export function metricsCollector(): MetricsCollector | null {
  return ((globalThis as Record<symbol, unknown>)[KEY] as MetricsCollector | undefined) ?? null;
}
