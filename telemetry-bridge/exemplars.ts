/**
 * Exemplars for our duration histograms: the latest sampled observation per bucket and label set,
 * with the trace and span it happened in, so a Grafana panel's exemplar dot opens the job's trace.
 * sdk-metrics (3.0) has no exemplar support, so we keep our own, on `@opentelemetry/api` only:
 * the app's metrics module records them, the serializer in `instrumentation/` reads them. The
 * store lives under a `Symbol.for` key so it survives a second copy of this module (as in shutdown.ts).
 */
import { isSpanContextValid, trace, TraceFlags, type Attributes, type SpanContext } from '@opentelemetry/api';

/** One exemplar: where (trace, span), what value and when (epoch ms). */
export interface Exemplar {
  traceId: string;
  spanId: string;
  value: number;
  timestampMs: number;
}

/** Per bucket index (finite bounds first, then +Inf), the latest exemplar or undefined. */
export type BucketExemplars = readonly (Exemplar | undefined)[];

// Our label sets are tiny fixed sets (status, stage); the cap only guards memory against misuse.
const MAX_SERIES_PER_METRIC = 64;

type Store = Map<string, Map<string, (Exemplar | undefined)[]>>;
const KEY = Symbol.for('render-o11y.exemplars');

function store(): Store {
  const g = globalThis as Record<symbol, unknown>;
  if (!g[KEY]) g[KEY] = new Map();
  return g[KEY] as Store;
}

/** A stable key for a label set, independent of attribute order. */
export function attributesKey(attributes: Attributes): string {
  const keys = Object.keys(attributes)
    .filter((k) => attributes[k] !== undefined && attributes[k] !== null)
    .sort();
  return keys.length === 0 ? '' : JSON.stringify(keys.map((k) => [k, attributes[k]]));
}

/** Index of the bucket `value` falls into: the first bound it does not exceed, else the +Inf bucket. */
export function bucketIndex(bounds: readonly number[], value: number): number {
  for (let i = 0; i < bounds.length; i++) if (value <= bounds[i]) return i;
  return bounds.length;
}

/**
 * Keeps `value` as the exemplar of its bucket when it is recorded inside a sampled span (the active
 * one, or `spanContext` when given); does nothing otherwise (no span, telemetry disabled, or an
 * unsampled trace nobody can open).
 */
export function recordExemplar(
  metric: string,
  bounds: readonly number[],
  attributes: Attributes,
  value: number,
  spanContext?: SpanContext,
): void {
  const sc = spanContext ?? trace.getActiveSpan()?.spanContext();
  if (!sc || !isSpanContextValid(sc) || (sc.traceFlags & TraceFlags.SAMPLED) === 0 || !Number.isFinite(value)) return;
  let series = store().get(metric);
  if (!series) {
    series = new Map();
    store().set(metric, series);
  }
  const key = attributesKey(attributes);
  let buckets = series.get(key);
  if (!buckets) {
    if (series.size >= MAX_SERIES_PER_METRIC) return;
    buckets = new Array<Exemplar | undefined>(bounds.length + 1).fill(undefined);
    series.set(key, buckets);
  }
  buckets[bucketIndex(bounds, value)] = { traceId: sc.traceId, spanId: sc.spanId, value, timestampMs: Date.now() };
}

/** The exemplars kept for one series of `metric`, or undefined when none was recorded. */
export function exemplarsFor(metric: string, attributes: Attributes): BucketExemplars | undefined {
  return store().get(metric)?.get(attributesKey(attributes));
}

/** Forgets every exemplar (the metrics module calls it when the meter provider changes). */
export function resetExemplars(): void {
  store().clear();
}
