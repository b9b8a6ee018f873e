/** Renders metric families as JSON: the same names, labels and values as the text exposition. */
import type { MetricFamily } from './metric-families';
import { formatValue } from './prometheus-text';

/** One family in the JSON view; histogram samples list cumulative buckets like `_bucket{le}`, with their exemplar when kept. */
export interface JsonFamily {
  name: string;
  type: MetricFamily['type'];
  help: string;
  unit: string;
  samples: unknown[];
}

/** The JSON body of `GET /api/metrics?format=json`. */
export function renderJson(families: readonly MetricFamily[]): { metrics: JsonFamily[] } {
  return {
    metrics: families.map((f) => ({
      name: f.name,
      type: f.type,
      help: f.help,
      unit: f.unit,
      samples:
        f.type === 'histogram'
          ? f.samples.map((s) => ({
              labels: s.labels,
              buckets: [...s.bounds.map((le, i) => ({ le, count: s.cumulative[i] })), { le: '+Inf' as const, count: s.count }].map(
                (b, i) => (s.exemplars?.[i] ? { ...b, exemplar: s.exemplars[i] } : b),
              ),
              sum: s.sum,
              count: s.count,
            }))
          : f.samples.map((s) => ({ labels: s.labels, value: Number.isFinite(s.value) ? s.value : formatValue(s.value) })),
    })),
  };
}
