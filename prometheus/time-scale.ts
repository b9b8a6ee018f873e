/**
 * Time-scaled copies of the rule files for the end-to-end alert test: the same expressions with
 * every range selector and `for:` divided by a factor, so an alert that needs minutes of real
 * traffic fires in seconds. The promtool unit tests (prometheus/tests/) prove the real timings.
 */
import YAML from 'yaml';

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Seconds in a Prometheus duration such as `5m`, `1h30m` or `3d`; throws on anything else. */
export function durationSeconds(d: string): number {
  const parts = [...d.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== d) throw new Error(`not a Prometheus duration: ${d}`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_SECONDS[unit], 0);
}

/** `d` divided by `factor`, in whole milliseconds (at least 1ms). */
export function scaleDuration(d: string, factor: number): string {
  return `${Math.max(1, Math.round((durationSeconds(d) * 1000) / factor))}ms`;
}

/** Scales `[range]` selectors (not subquery steps) and `for:` of every rule in a rule file's YAML text. */
export function scaleRuleFile(yamlText: string, factor: number): string {
  const doc = YAML.parse(yamlText) as { groups: { rules: { expr: string; for?: string }[] }[] };
  for (const group of doc.groups) {
    for (const rule of group.rules) {
      rule.expr = rule.expr.replace(/\[([0-9a-z]+)\]/g, (_, d: string) => `[${scaleDuration(d, factor)}]`);
      if (rule.for) rule.for = scaleDuration(rule.for, factor);
    }
  }
  return YAML.stringify(doc);
}
