/**
 * A pull-only MetricReader: nothing is pushed or served on its own port; each scrape of the app's
 * `/api/metrics` collects once and serializes with our renderer. Why ours and not the stock
 * @opentelemetry/exporter-prometheus (kept as the reference: prometheus-differential.test.ts checks
 * that both give the same families, samples and values):
 * - exemplars: sdk-metrics 3.0 keeps none and the stock serializer writes only the 0.0.4 text, so
 *   Grafana's exemplar links need our OpenMetrics output fed from telemetry-bridge/exemplars.ts;
 * - speed: bench (c) measures ours at about a quarter of the stock serializer's time per scrape
 *   (collect + serialize of the same collection, same run; bench/README.md);
 * - `target_info` carries only safe resource attributes (the stock one has host name and pid) and
 *   samples carry no `otel_scope_*` labels, so series stay what rules and dashboards query.
 */
import { diag } from '@opentelemetry/api';
import { MetricReader } from '@opentelemetry/sdk-metrics';
import type { MetricsCollector } from '../telemetry-bridge/metrics-collector';
import { toFamilies, type MetricFamily } from './metric-families';
import { renderJson } from './metrics-json';
import { renderOpenMetricsText } from './openmetrics-text';
import { renderPrometheusText } from './prometheus-text';

/** Collects on demand and renders the result as Prometheus text, OpenMetrics text or JSON. */
export class PullMetricReader extends MetricReader {
  private stopped = false;

  /** One collection as metric families; callback errors are logged, never thrown at the scraper. */
  async families(): Promise<MetricFamily[]> {
    // A scrape racing the process's shutdown gets an empty exposition rather than a 500.
    if (this.stopped) return [];
    const { resourceMetrics, errors } = await this.collect();
    if (errors.length > 0) diag.warn(`metrics collection: ${errors.length} callback error(s)`, errors[0]);
    return toFamilies(resourceMetrics);
  }

  /** The collector the app's scrape handler uses (see telemetry-bridge/metrics-collector.ts). */
  collector(): MetricsCollector {
    return {
      prometheus: async () => renderPrometheusText(await this.families()),
      openMetrics: async () => renderOpenMetricsText(await this.families()),
      json: async () => renderJson(await this.families()),
    };
  }

  protected async onForceFlush(): Promise<void> {}

  protected async onShutdown(): Promise<void> {
    this.stopped = true;
  }
}
