/** Walks generated dashboards: every panel, every query, and Grafana's variable substitution for tests. */
import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';

/** One query of one panel. */
export interface PanelTarget {
  dashboard: string;
  panel: string;
  panelType: string;
  datasource: { type?: string; uid?: string };
  target: Record<string, any>;
}

/** Every panel that is not a row (rows here are flat, not collapsed). */
export function panelsOf(dashboard: Dashboard): Panel[] {
  const out: Panel[] = [];
  for (const p of (dashboard.panels ?? []) as (Panel | RowPanel)[]) {
    if (p.type === 'row') out.push(...(((p as RowPanel).panels ?? []) as Panel[]));
    else out.push(p as Panel);
  }
  return out;
}

/** Every query of every panel, with the datasource it runs on (the query's own, else the panel's). */
export function targetsOf(dashboard: Dashboard): PanelTarget[] {
  return panelsOf(dashboard).flatMap((panel) =>
    ((panel.targets ?? []) as Record<string, any>[]).map((target) => ({
      dashboard: dashboard.uid ?? dashboard.title ?? '(untitled)',
      panel: panel.title ?? '(untitled)',
      panelType: panel.type,
      datasource: (target.datasource ?? panel.datasource ?? {}) as { type?: string; uid?: string },
      target,
    })),
  );
}

/** Values for Grafana's built-in and dashboard variables when running a query outside Grafana. */
export type VariableValues = Record<string, string>;

/** Replaces `$name`, `${name}` and `[[name]]` the way Grafana does, longest names first. */
export function substitute(expr: string, values: VariableValues): string {
  let out = expr;
  for (const name of Object.keys(values).sort((a, b) => b.length - a.length)) {
    const v = values[name];
    out = out.split(`\${${name}}`).join(v).split(`[[${name}]]`).join(v).split(`$${name}`).join(v);
  }
  return out;
}
