/**
 * The job success SLO as one table, read by the admin summary (`slo`), the admin page's status and
 * checked against the Prometheus rules (prometheus/slo-rules.test.ts), so the page says degraded
 * whenever a RenderSLOBurnRate alert would fire. A finished job is good when it completed and bad
 * when it failed through the service; a job that failed on its client's own input (category
 * `validation`) counts neither way, nor does a cancelled one.
 */
import type { JobFacts } from './stats';

/** 99% of the jobs that finish for the service's own reasons complete, over 30 days. */
export const SLO_OBJECTIVE = 0.99;
/** Failure categories that are the client's input, not the service failing. */
export const SLO_EXCLUDED_CATEGORIES = ['validation'] as const;

/** Window lengths the rules use, in milliseconds. */
export const SLO_WINDOW_MS = {
  '5m': 5 * 60_000,
  '30m': 30 * 60_000,
  '1h': 3_600_000,
  '2h': 2 * 3_600_000,
  '6h': 6 * 3_600_000,
  '1d': 86_400_000,
  '3d': 3 * 86_400_000,
} as const;
export type SloWindow = keyof typeof SLO_WINDOW_MS;

/** The multi-window burn-rate pairs of RenderSLOBurnRate (kubernetes-mixin's): long and short window, burn factor, severity. */
export const SLO_BURN_RATES: readonly { long: SloWindow; short: SloWindow; factor: number; severity: 'critical' | 'warning' }[] = [
  { long: '1h', short: '5m', factor: 14.4, severity: 'critical' },
  { long: '6h', short: '30m', factor: 6, severity: 'critical' },
  { long: '1d', short: '2h', factor: 3, severity: 'warning' },
  { long: '3d', short: '6h', factor: 1, severity: 'warning' },
];

/** The two counts the SLI needs over one window. */
export interface SloCounts {
  completed: number;
  serviceFailures: number;
}

/** The SLO's state: each pair's ratios and whether it burns, and whether any does. */
export interface SloStatus {
  objective: number;
  burning: boolean;
  burnRates: {
    long: SloWindow;
    short: SloWindow;
    factor: number;
    longErrorRatio: number | null;
    shortErrorRatio: number | null;
    burning: boolean;
  }[];
}

/** The counts of one window's job facts: service failures are the failed jobs outside the excluded categories. */
export function sloCountsOf(facts: Pick<JobFacts, 'totals' | 'errors'>): SloCounts {
  const excluded = facts.errors
    .filter((e) => (SLO_EXCLUDED_CATEGORIES as readonly string[]).includes(e.category))
    .reduce((n, e) => n + e.count, 0);
  return { completed: facts.totals.completed, serviceFailures: Math.max(0, facts.totals.failed - excluded) };
}

/** Service failures over the jobs that count; null when none counts (the rules then have no sample either). */
export function sloErrorRatio(c: SloCounts): number | null {
  const valid = c.completed + c.serviceFailures;
  return valid > 0 ? c.serviceFailures / valid : null;
}

/** Each pair burns when both its windows' error ratios exceed factor × the error budget, as the alert's expression. */
export function sloStatus(counts: Readonly<Record<SloWindow, SloCounts>>): SloStatus {
  const budget = 1 - SLO_OBJECTIVE;
  const burnRates = SLO_BURN_RATES.map(({ long, short, factor }) => {
    const longErrorRatio = sloErrorRatio(counts[long]);
    const shortErrorRatio = sloErrorRatio(counts[short]);
    const over = (r: number | null) => r !== null && r > factor * budget;
    return { long, short, factor, longErrorRatio, shortErrorRatio, burning: over(longErrorRatio) && over(shortErrorRatio) };
  });
  return { objective: SLO_OBJECTIVE, burning: burnRates.some((b) => b.burning), burnRates };
}
