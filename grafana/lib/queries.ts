/** PromQL building blocks shared by the dashboards, so every panel filters the same way. */
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PROMETHEUS } from './datasources';

/** Label matchers for the render services' series, narrowed by the `$instance` variable. */
export const RENDER = 'job=~"render-api|render-worker", instance=~"$instance"';

/** `name{RENDER, extra}`: a selector on the render services. */
export function sel(name: string, extra = ''): string {
  return `${name}{${RENDER}${extra ? `, ${extra}` : ''}}`;
}

/** `histogram_quantile(q, sum by (le, by…) (rate(metric_bucket{…}[$__rate_interval])))`. */
export function quantile(q: number, histogram: string, by: string[] = [], extra = ''): string {
  const groups = ['le', ...by].join(', ');
  return `histogram_quantile(${q}, sum by (${groups}) (rate(${sel(`${histogram}_bucket`, extra)}[$__rate_interval])))`;
}

/** Mean of a histogram over the rate window: rate(sum) / rate(count). */
export function mean(histogram: string, window = '$__rate_interval'): string {
  return `sum(rate(${sel(`${histogram}_sum`)}[${window}])) / sum(rate(${sel(`${histogram}_count`)}[${window}]))`;
}

/** Options for `prom`. */
export interface PromOptions {
  legend?: string;
  refId?: string;
  /** Instant query (stats, tables) instead of a range query. */
  instant?: boolean;
  table?: boolean;
  heatmap?: boolean;
  exemplar?: boolean;
}

/** A Prometheus query on the `$datasource` variable. */
export function prom(expr: string, options: PromOptions = {}): DataqueryBuilder {
  const q = new DataqueryBuilder()
    .datasource(PROMETHEUS)
    .expr(expr)
    .refId(options.refId ?? 'A');
  if (options.legend) q.legendFormat(options.legend);
  if (options.instant) q.instant();
  else q.range();
  if (options.table) q.format(PromQueryFormat.Table);
  if (options.heatmap) q.format(PromQueryFormat.Heatmap);
  if (options.exemplar) q.exemplar(true);
  return q;
}
