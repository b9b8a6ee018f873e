/**
 * Renders metric families as OpenMetrics 1.0 text, the format Prometheus asks for first and the
 * only one that carries exemplars: counters are declared without `_total` (their samples keep it),
 * histogram buckets carry `# {trace_id,span_id} value timestamp`, `target_info` is an info metric,
 * and the body ends with `# EOF`. Series names and labels are exactly those of the 0.0.4 text, so
 * rules and dashboards see the same series whichever format a scraper picks.
 */
import type { Exemplar } from '../telemetry-bridge/exemplars';
import type { MetricFamily } from './metric-families';
import { unitSuffix } from './prometheus-names';
import { closeLabels, escapeLabelValue, formatValue, openLabels } from './prometheus-text';

/** The spec's limit on an exemplar's label names and values together, in code points. */
export const MAX_EXEMPLAR_LABEL_CHARS = 128;

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** ` # {trace_id="…",span_id="…"} value timestamp`, or '' when there is none or its labels are too long. */
export function exemplarSuffix(e: Exemplar | undefined): string {
  if (!e) return '';
  const labels: [string, string][] = [
    ['trace_id', e.traceId],
    ['span_id', e.spanId],
  ];
  const length = labels.reduce((n, [k, v]) => n + [...k].length + [...v].length, 0);
  if (length > MAX_EXEMPLAR_LABEL_CHARS) return '';
  const set = labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',');
  return ` # {${set}} ${formatValue(e.value)} ${(e.timestampMs / 1000).toFixed(3)}`;
}

/** The name a family is declared under, and the OpenMetrics type it is declared as. */
function declaration(family: MetricFamily): { name: string; type: string } {
  if (family.type === 'counter') return { name: family.name.replace(/_total$/, ''), type: 'counter' };
  // Info metrics are declared without their `_info` suffix and always have the value 1.
  if (family.type === 'gauge' && family.name === 'target_info') return { name: 'target', type: 'info' };
  return { name: family.name, type: family.type };
}

/** `# UNIT` only when the unit is the name's suffix: Prometheus rejects the exposition otherwise. */
function unitLine(declared: string, family: MetricFamily): string | null {
  const suffix = unitSuffix(family.unit, family.type === 'gauge');
  return suffix && declared.endsWith(`_${suffix}`) ? `# UNIT ${declared} ${suffix}` : null;
}

/** The whole OpenMetrics exposition, ending with `# EOF`. */
export function renderOpenMetricsText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    const { name } = family;
    const declared = declaration(family);
    lines.push(`# TYPE ${declared.name} ${declared.type}`);
    const unit = unitLine(declared.name, family);
    if (unit) lines.push(unit);
    lines.push(`# HELP ${declared.name} ${escapeHelp(family.help || name)}`);
    if (family.type === 'histogram') {
      for (const s of family.samples) {
        const open = openLabels(s.labels);
        // `le` keeps the 0.0.4 spelling (`5`, not the canonical `5.0`): Prometheus 2 stores it
        // verbatim, and a different spelling would be a different series for every `le` query.
        const prefix = open ? `${name}_bucket${open},le="` : `${name}_bucket{le="`;
        const ex = s.exemplars;
        for (let i = 0; i < s.bounds.length; i++)
          lines.push(`${prefix}${formatValue(s.bounds[i])}"} ${s.cumulative[i]}${exemplarSuffix(ex?.[i])}`);
        lines.push(
          `${prefix}+Inf"} ${s.count}${exemplarSuffix(ex?.[s.bounds.length])}`,
          `${name}_sum${closeLabels(open)} ${formatValue(s.sum)}`,
          `${name}_count${closeLabels(open)} ${s.count}`,
        );
      }
    } else {
      for (const s of family.samples) lines.push(`${name}${closeLabels(openLabels(s.labels))} ${formatValue(s.value)}`);
    }
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}
