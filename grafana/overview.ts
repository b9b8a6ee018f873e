/** The "Render overview" dashboard: everything the old admin page showed, and what it could not. */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import { DashboardBuilder, DashboardCursorSync, RowBuilder, type Dashboard, type Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { renderAnnotations } from './lib/annotations';
import { DASHBOARD_TAG, dashboardsDropdown, runbookLink, runbooksIndexLink } from './lib/links';
import { datasourceVariable, environmentVariable, instanceVariable, runbookBaseVariable } from './lib/variables';
import { alertPanels, traceTablePanel } from './overview/alerts';
import { errorPanels, stagePanels } from './overview/errors';
import { glancePanels } from './overview/glance';
import { logPanels } from './overview/logs';
import { durationPanels, jobCountPanels, rateAndThroughputPanels } from './overview/jobs';
import { pieceCachePanels } from './overview/pieces';
import { processPanels } from './overview/process';
import { queuePanels } from './overview/queue';

/** Fixed UID: links, the README and the service's GRAFANA_URL deep links rely on it. */
export const OVERVIEW_UID = 'render-overview';

function section(builder: DashboardBuilder, title: string, panels: cog.Builder<Panel>[]): void {
  builder.withRow(new RowBuilder(title));
  for (const p of panels) builder.withPanel(p);
}

/** Builds the overview dashboard. */
export function overviewDashboard(): Dashboard {
  const b = new DashboardBuilder('Render overview')
    .uid(OVERVIEW_UID)
    .description(
      'At a glance (alerts, error budget, burn rate, API, queue, workers), then jobs, queue, errors, stages, processes, alerts and traces, and warning and error logs of render-o11y.',
    )
    .tags([DASHBOARD_TAG, 'render'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .variables([datasourceVariable(), environmentVariable(), instanceVariable(), runbookBaseVariable()])
    .annotations(renderAnnotations())
    .links([
      dashboardsDropdown(),
      runbooksIndexLink(),
      runbookLink('RenderApiDown'),
      runbookLink('RenderSLOBurnRate'),
      runbookLink('RenderQueueStalled'),
      runbookLink('RenderWorkerDown'),
    ]);
  section(b, 'At a glance', glancePanels());
  section(b, 'Jobs', [...jobCountPanels(), ...rateAndThroughputPanels()]);
  section(b, 'Render duration', durationPanels());
  section(b, 'Queue', queuePanels());
  section(b, 'Errors', errorPanels());
  section(b, 'Pipeline stages', stagePanels());
  section(b, 'Piece cache', pieceCachePanels());
  section(b, 'Processes', processPanels());
  section(b, 'Alerts and traces', [...alertPanels(), traceTablePanel()]);
  section(b, 'Logs', logPanels());
  return b.build();
}
