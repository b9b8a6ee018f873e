/**
 * The RenderSLOBurnRate rules and the SLO table the admin summary and page use
 * (services/shared/slo.ts) are one rule: the same pairs, factors, severities and objective, and
 * every window's ratio leaves out the excluded categories.
 */
import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { SLO_BURN_RATES, SLO_EXCLUDED_CATEGORIES, SLO_OBJECTIVE } from '../services/shared/slo';
import { alertRules, RECORDING_FILE } from './runbooks';

describe('the SLO rules are the table the page uses', () => {
  test('RenderSLOBurnRate has exactly the table’s pairs, factors and severities', () => {
    const budget = Number((1 - SLO_OBJECTIVE).toFixed(6));
    const rules = alertRules().filter((r) => r.alert === 'RenderSLOBurnRate');
    assert.deepEqual(
      rules.map((r) => ({ long: r.labels.long, short: r.labels.short, severity: r.labels.severity })),
      SLO_BURN_RATES.map((b) => ({ long: b.long, short: b.short, severity: b.severity })),
    );
    for (const [i, r] of rules.entries()) {
      const { long, short, factor } = SLO_BURN_RATES[i];
      const threshold = factor === 1 ? `(${budget})` : `(${factor} * ${budget})`;
      assert.ok(r.expr.includes(`render:job_errors:ratio_rate${long} > ${threshold}`), r.expr);
      assert.ok(r.expr.includes(`render:job_errors:ratio_rate${short} > ${threshold}`), r.expr);
    }
  });

  test('every window’s service failures leave out the excluded categories', () => {
    const groups = (
      YAML.parse(readFileSync(RECORDING_FILE, 'utf8')) as { groups: { name: string; rules: { record: string; expr: string }[] }[] }
    ).groups;
    const slo = groups.find((g) => g.name === 'render.slo')!.rules;
    const windows = new Set(SLO_BURN_RATES.flatMap((b) => [b.long, b.short]));
    for (const w of windows) {
      const failures = slo.find((r) => r.record === `render:job_service_failures:rate${w}`);
      assert.ok(failures, `no render:job_service_failures:rate${w}`);
      for (const category of SLO_EXCLUDED_CATEGORIES) {
        assert.ok(failures.expr.includes(`render_errors_total{category="${category}"}[${w}]`), failures.expr);
      }
      assert.ok(
        slo.some((r) => r.record === `render:job_errors:ratio_rate${w}` && r.expr.includes(`render:job_service_failures:rate${w}`)),
      );
    }
  });
});
