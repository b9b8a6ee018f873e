/** Overview row: warning and error logs of the render services, from Loki, filtered by the dashboard's variables. */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { LogsSortOrder } from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as LogsPanel } from '@grafana/grafana-foundation-sdk/logs';
import { DataqueryBuilder as LokiQuery } from '@grafana/grafana-foundation-sdk/loki';
import { LOKI } from '../lib/datasources';
import { timeseries } from '../lib/panels';

/**
 * The render services' warning and error records in the chosen environment and instances. Labels
 * are `service_name` and `deployment_environment` only (loki/loki.yaml); the instance and the
 * severity are structured metadata, filtered after the stream selector.
 */
export const RENDER_WARN_ERROR_LOGQL =
  '{service_name=~"render-api|render-worker|render-o11y", deployment_environment=~"$environment"} | service_instance_id=~"$instance" | severity_text=~"warn|error|fatal"';

/** Records per service and severity, for the volume panel. */
export const RENDER_WARN_ERROR_VOLUME_LOGQL = `sum by (service_name, severity_text) (count_over_time(${RENDER_WARN_ERROR_LOGQL} [$__auto]))`;

/** Warning and error volume, then the records themselves (each trace_id links to its trace in Tempo). */
export function logPanels(): cog.Builder<Panel>[] {
  const volume = timeseries(
    'Warning and error logs',
    'short',
    [new LokiQuery().datasource(LOKI).refId('A').expr(RENDER_WARN_ERROR_VOLUME_LOGQL).legendFormat('{{service_name}} {{severity_text}}')],
    { w: 24, h: 6 },
  )
    .datasource(LOKI)
    .description(
      'Warning and error log records of render-api and render-worker per service and level (Loki). A rise here with no alert is worth a look.',
    );
  const records = new LogsPanel()
    .title('Warning and error logs (Loki)')
    .description(
      'The records themselves, newest first: job_id, trace_id and the rest are in each record; a failed FFmpeg or espeak-ng run leaves its last stderr lines. The trace_id field opens the trace in Tempo.',
    )
    .datasource(LOKI)
    .withTarget(new LokiQuery().datasource(LOKI).refId('A').expr(RENDER_WARN_ERROR_LOGQL).maxLines(200))
    .unit('none')
    .span(24)
    .height(12)
    .showTime(true)
    .wrapLogMessage(true)
    .enableLogDetails(true)
    .sortOrder(LogsSortOrder.Descending);
  return [volume, records];
}
