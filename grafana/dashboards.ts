/** Every generated dashboard and the file it is written to under grafana/dashboards/. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import path from 'node:path';
import { overviewDashboard } from './overview';
import { pipelineDashboard } from './pipeline';

/** Directory of the committed JSON, which Grafana's dashboard provider loads. */
export const DASHBOARDS_DIR = path.join(__dirname, 'dashboards');

/** Numbers panels in order so `viewPanel=<id>` links stay stable across regenerations. */
function withPanelIds(dashboard: Dashboard): Dashboard {
  (dashboard.panels ?? []).forEach((panel, i) => {
    panel.id = i + 1;
  });
  return dashboard;
}

/** File name → dashboard. */
export function allDashboards(): Record<string, Dashboard> {
  return {
    'render-overview.json': withPanelIds(overviewDashboard()),
    'telemetry-pipeline.json': withPanelIds(pipelineDashboard()),
  };
}

/** The exact text written for a dashboard (stable key order from the builders, trailing newline). */
export function serialize(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
