/** Overview row: firing alerts, and recent failed or slow jobs from Tempo. */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import { PanelBuilder, type Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder as TempoQuery, SearchTableType, TempoQueryType } from '@grafana/grafana-foundation-sdk/tempo';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { ALERTMANAGER, TEMPO } from '../lib/datasources';
import { runbookUrl } from '../lib/links';
import { table } from '../lib/panels';
import { prom } from '../lib/queries';

/** The TraceQL behind "Recent failed or slow jobs": errors, or traces longer than a minute. */
export const FAILED_OR_SLOW_TRACEQL = '{ resource.service.name =~ "render-.*" && (status = error || duration > 60s) }';

/** Firing alerts twice: Grafana's alert list (via Alertmanager) and a table from Prometheus's ALERTS series. */
export function alertPanels(): cog.Builder<Panel>[] {
  const alertList = new PanelBuilder()
    .type('alertlist')
    .title('Firing alerts (Alertmanager)')
    .description('Alerts Alertmanager holds right now; the rules are in prometheus/rules/.')
    .datasource(ALERTMANAGER)
    .span(12)
    .height(8)
    .unit('none')
    .options({
      viewMode: 'list',
      groupMode: 'default',
      maxItems: 20,
      sortOrder: 1,
      dashboardAlerts: false,
      alertName: '',
      alertInstanceLabelFilter: '',
      datasource: 'Alertmanager',
      stateFilter: { firing: true, pending: true, noData: false, normal: false, error: true },
    });
  const firing = table(
    'Firing alerts (Prometheus)',
    'none',
    [prom('sort_desc(ALERTS{alertstate="firing"})', { instant: true, table: true, legend: '{{alertname}}' })],
    { w: 12, h: 8 },
  )
    .description('One row per firing alert; the alert name opens its runbook.')
    .withTransformation({ id: 'organize', options: { excludeByName: { Time: true, Value: true, __name__: true } } })
    .overrideByName('alertname', [{ id: 'links', value: [{ title: 'Runbook', url: runbookUrl('${__value.raw}'), targetBlank: true }] }]);
  return [alertList, firing];
}

/** Traces of recent failed or slow jobs; Tempo's search frames link each trace id to the trace view. */
export function traceTablePanel(): cog.Builder<Panel> {
  const query = new TempoQuery()
    .datasource(TEMPO)
    .refId('A')
    .queryType(TempoQueryType.Traceql)
    .query(FAILED_OR_SLOW_TRACEQL)
    .tableType(SearchTableType.Traces)
    .limit(20);
  return new TablePanel()
    .title('Recent failed or slow jobs (Tempo)')
    .description('Traces of render jobs that errored or took over 60 s. Click a trace id to open the whole job.')
    .datasource(TEMPO)
    .withTarget(query)
    .unit('none')
    .span(24)
    .height(9);
}
