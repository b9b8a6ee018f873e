/**
 * Turns one SDK collection into Prometheus-shaped metric families (name, type, help, samples), the
 * single model both the text exposition and the JSON view render, so they always agree.
 */
import type { Attributes } from '@opentelemetry/api';
import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { exemplarsFor, type BucketExemplars } from '../telemetry-bridge/exemplars';
import { METER_NAME } from '../telemetry-bridge/meter';
import { prometheusName, sanitizeLabelName } from './prometheus-names';
import { safeResourceLabels } from './resource';

/** Label names to label values, as Prometheus shows them. */
export type Labels = Record<string, string>;

/** A counter or gauge sample. */
export interface ScalarSample {
  labels: Labels;
  value: number;
}

/** A histogram series: finite upper bounds with cumulative counts, plus sum and count. */
export interface HistogramSample {
  labels: Labels;
  bounds: number[];
  cumulative: number[];
  sum: number;
  count: number;
  /** Per bucket (finite bounds, then +Inf), the latest exemplar; only OpenMetrics and JSON show them. */
  exemplars?: BucketExemplars;
}

/** One metric family. */
export type MetricFamily =
  | { name: string; help: string; unit: string; type: 'counter' | 'gauge'; samples: ScalarSample[] }
  | { name: string; help: string; unit: string; type: 'histogram'; samples: HistogramSample[] };

const labelNameCache = new Map<string, string>();

/** Attribute values become label values; names are sanitized (cached: the same few keys repeat every scrape). */
export function toLabels(attributes: Attributes): Labels {
  const labels: Labels = {};
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined || value === null) continue;
    let name = labelNameCache.get(key);
    if (name === undefined) {
      name = sanitizeLabelName(key);
      labelNameCache.set(key, name);
    }
    labels[name] = typeof value === 'string' ? value : Array.isArray(value) ? JSON.stringify(value) : String(value);
  }
  return labels;
}

function familyOf(metric: MetricData, ownMeter: boolean): MetricFamily | null {
  const { name, unit, description } = metric.descriptor;
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    return {
      name: prometheusName(name, unit, 'histogram', ownMeter),
      help: description,
      unit,
      type: 'histogram',
      samples: metric.dataPoints.map((p) => {
        const { boundaries, counts } = p.value.buckets;
        const cumulative = new Array<number>(boundaries.length);
        let running = 0;
        for (let i = 0; i < boundaries.length; i++) cumulative[i] = running += counts[i];
        const sample: HistogramSample = {
          labels: toLabels(p.attributes),
          bounds: boundaries,
          cumulative,
          sum: p.value.sum ?? 0,
          count: p.value.count,
        };
        // Only our meter records exemplars; a length mismatch means a view changed the buckets.
        const exemplars = ownMeter ? exemplarsFor(name, p.attributes) : undefined;
        if (exemplars && exemplars.length === boundaries.length + 1) sample.exemplars = exemplars;
        return sample;
      }),
    };
  }
  if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
    // A non-monotonic sum (UpDownCounter) can go down, so Prometheus must see it as a gauge.
    const type = metric.dataPointType === DataPointType.SUM && metric.isMonotonic ? 'counter' : 'gauge';
    return {
      name: prometheusName(name, unit, type, ownMeter),
      help: description,
      unit,
      type,
      samples: metric.dataPoints.map((p) => ({ labels: toLabels(p.attributes), value: p.value })),
    };
  }
  // Exponential histograms have no Prometheus text form; none of our instruments or views create one.
  return null;
}

/** The `target_info` family: one sample carrying the resource's safe attributes. */
export function targetInfo(resourceMetrics: ResourceMetrics): MetricFamily {
  return {
    name: 'target_info',
    help: 'Target metadata',
    unit: '',
    type: 'gauge',
    samples: [{ labels: safeResourceLabels(resourceMetrics.resource), value: 1 }],
  };
}

/**
 * Every family of a collection, `target_info` first. Two instruments that map to the same name are
 * merged when their types agree; a later one of another type is skipped rather than emitting an
 * exposition Prometheus would reject.
 */
export function toFamilies(resourceMetrics: ResourceMetrics): MetricFamily[] {
  const byName = new Map<string, MetricFamily>();
  const families: MetricFamily[] = [targetInfo(resourceMetrics)];
  for (const scope of resourceMetrics.scopeMetrics) {
    const ownMeter = scope.scope.name === METER_NAME;
    for (const metric of scope.metrics) {
      const family = familyOf(metric, ownMeter);
      if (!family || family.samples.length === 0) continue;
      const existing = byName.get(family.name);
      if (!existing) {
        byName.set(family.name, family);
        families.push(family);
      } else if (existing.type === family.type) {
        (existing.samples as unknown[]).push(...family.samples);
      }
    }
  }
  return families;
}
