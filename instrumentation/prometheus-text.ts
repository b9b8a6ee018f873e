/** Renders metric families as Prometheus text exposition format 0.0.4. */
import type { Labels, MetricFamily } from './metric-families';

const NEEDS_ESCAPE = /[\\"\n]/;

/** Escapes a label value (`\`, `"`, newline), skipping the regex replace for the usual clean value. */
export function escapeLabelValue(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as Prometheus spells it (`+Inf`, `-Inf`, `NaN`). */
export function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

/** `{a="1",b="2"` without the closing brace, so histogram lines can append `le`; empty when no labels. */
export function openLabels(labels: Labels): string {
  let out = '';
  for (const key in labels) out += `${out ? ',' : '{'}${key}="${escapeLabelValue(labels[key])}"`;
  return out;
}

/** Closes what openLabels opened (nothing when there were no labels). */
export const closeLabels = (open: string) => (open ? `${open}}` : '');

/** The whole exposition, one `# HELP` and `# TYPE` per family. */
export function renderPrometheusText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    const { name } = family;
    lines.push(`# HELP ${name} ${escapeHelp(family.help || name)}`, `# TYPE ${name} ${family.type}`);
    if (family.type === 'histogram') {
      for (const s of family.samples) {
        const open = openLabels(s.labels);
        const prefix = open ? `${name}_bucket${open},le="` : `${name}_bucket{le="`;
        for (let i = 0; i < s.bounds.length; i++) lines.push(`${prefix}${formatValue(s.bounds[i])}"} ${s.cumulative[i]}`);
        lines.push(
          `${prefix}+Inf"} ${s.count}`,
          `${name}_sum${closeLabels(open)} ${formatValue(s.sum)}`,
          `${name}_count${closeLabels(open)} ${s.count}`,
        );
      }
    } else {
      for (const s of family.samples) lines.push(`${name}${closeLabels(openLabels(s.labels))} ${formatValue(s.value)}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}
