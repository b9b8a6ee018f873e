/** The "Telemetry pipeline" dashboard: is the telemetry itself arriving (SDK, collector, Prometheus, Alertmanager)? */
import { DashboardBuilder, DashboardCursorSync, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRIC_NAMES as M } from '../services/telemetry/metrics';
import { builtInAnnotation, firingAlertsAnnotation } from './lib/annotations';
import { DASHBOARD_TAG, dashboardsDropdown, runbookLink } from './lib/links';
import { stat, thresholdLines, thresholds, timeseries } from './lib/panels';
import { prom } from './lib/queries';
import { datasourceVariable, runbookBaseVariable } from './lib/variables';

/** Fixed UID for links. */
export const PIPELINE_UID = 'telemetry-pipeline';

/**
 * A collector self-metric, as the pinned collector's Prometheus reader names it: without type or
 * unit suffixes (a counter has no `_total`, the late-span-age histogram no `_seconds`).
 * test/e2e/stack.test.ts checks every name against the live collector's /metrics.
 */
export function otelcol(name: string, extra = ''): string {
  return `otelcol_${name}{job="otel-collector"${extra ? `, ${extra}` : ''}}`;
}

/**
 * The collector's `otel.signal` attribute of processor counters. Prometheus 3 scrapes the collector
 * with UTF-8 names allowed, so the label keeps its dot (`otel_signal` only on a legacy scrape).
 */
const TRACES = '"otel.signal"="traces"';
const METRICS = '"otel.signal"="metrics"';

const perSec = (counter: string, by: string) => `sum by (${by}) (rate(${otelcol(counter)}[$__rate_interval]))`;

/** Builds the telemetry pipeline dashboard. */
export function pipelineDashboard(): Dashboard {
  return new DashboardBuilder('Telemetry pipeline')
    .uid(PIPELINE_UID)
    .description('Spans and metrics from the services through the OpenTelemetry Collector to Tempo and Prometheus, and the alerting path.')
    .tags([DASHBOARD_TAG, 'telemetry'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .variables([datasourceVariable(), runbookBaseVariable()])
    .annotations([builtInAnnotation(), firingAlertsAnnotation()])
    .links([
      dashboardsDropdown(),
      runbookLink('TelemetryExportFailing'),
      runbookLink('OtelCollectorExportFailing'),
      runbookLink('OtelCollectorQueueFull'),
      runbookLink('Watchdog'),
    ])
    .withRow(new RowBuilder('Services (SDK side)'))
    .withPanel(
      timeseries('SDK export failures', 'cpm', [
        prom(`sum by (job, signal) (rate(${M.telemetryExportFailures}{job=~"render-.*"}[$__rate_interval])) * 60`, {
          legend: '{{job}} {{signal}}',
        }),
      ])
        .description('Failed OTLP export calls per minute from the render services.')
        .links([runbookLink('TelemetryExportFailing')]),
    )
    .withPanel(
      timeseries('SDK spans dropped', 'cpm', [
        prom(`sum by (job) (rate(${M.telemetrySpansDropped}{job=~"render-.*"}[$__rate_interval])) * 60`, { legend: '{{job}}' }),
      ]).description('Spans the services dropped (queue full or export failed): those jobs have gaps in Tempo.'),
    )
    .withRow(new RowBuilder('OpenTelemetry Collector'))
    .withPanel(
      timeseries(
        'Spans accepted / refused by receivers',
        'ops',
        [
          prom(perSec('receiver_accepted_spans', 'receiver'), { legend: 'accepted {{receiver}}' }),
          prom(perSec('receiver_refused_spans', 'receiver'), { legend: 'refused {{receiver}}', refId: 'B' }),
        ],
        { w: 8, h: 8 },
      ).description('Refused spans mean memory_limiter pushed back or the data was invalid.'),
    )
    .withPanel(
      timeseries(
        'Spans sent / failed by exporters',
        'ops',
        [
          prom(perSec('exporter_sent_spans', 'exporter'), { legend: 'sent {{exporter}}' }),
          prom(perSec('exporter_send_failed_spans', 'exporter'), { legend: 'failed {{exporter}}', refId: 'B' }),
        ],
        { w: 8, h: 8 },
      )
        .description('Failures here mean Tempo is unreachable or rejecting data.')
        .links([runbookLink('OtelCollectorExportFailing')]),
    )
    .withPanel(
      timeseries(
        'Metric points into the pipeline / sent / failed',
        'ops',
        [
          // No receiver takes metric points from outside (the services are scraped) and the
          // collector counts nothing for connectors, so what enters the metrics pipeline is what
          // its first processor takes in.
          prom(`sum by (processor) (rate(${otelcol('processor_incoming_items', METRICS)}[$__rate_interval]))`, {
            legend: 'into {{processor}}',
          }),
          prom(perSec('exporter_sent_metric_points', 'exporter'), { legend: 'sent {{exporter}}', refId: 'B' }),
          prom(perSec('exporter_send_failed_metric_points', 'exporter'), { legend: 'failed {{exporter}}', refId: 'C' }),
        ],
        { w: 8, h: 8 },
      ).description('Span-derived metrics (span metrics, service graph) from the connectors on their way to Prometheus.'),
    )
    .withPanel(
      thresholdLines(
        timeseries(
          'Exporter queue fill',
          'percentunit',
          [
            prom(
              'max by (exporter) (otelcol_exporter_queue_size{job="otel-collector"}) / max by (exporter) (otelcol_exporter_queue_capacity{job="otel-collector"})',
              { legend: '{{exporter}}' },
            ),
          ],
          { w: 8, h: 8 },
        ),
        [
          [null, 'green'],
          [0.8, 'red'],
        ],
      )
        .description('Sending queue usage; at 100% new batches are dropped. The line is the 80% OtelCollectorQueueFull threshold.')
        .max(1)
        .links([runbookLink('OtelCollectorQueueFull')]),
    )
    .withPanel(
      timeseries(
        'Spans dropped or refused by processors',
        'ops',
        [
          // The collector no longer has per-processor dropped/refused counters: what a processor
          // took in and did not pass on is what it dropped or refused (0 for the scrubbing ones).
          prom(
            `sum by (processor) (rate(${otelcol('processor_incoming_items', TRACES)}[$__rate_interval]) - rate(${otelcol('processor_outgoing_items', TRACES)}[$__rate_interval]))`,
            { legend: 'in − out {{processor}}' },
          ),
          prom(`sum by (processor) (rate(${otelcol('processor_memory_limiter_refused_spans')}[$__rate_interval]))`, {
            legend: 'refused {{processor}}',
            refId: 'B',
          }),
        ],
        { w: 8, h: 8 },
      ).description(
        'Spans each processor took in but did not pass on (memory_limiter refusals, drops), and memory_limiter refusals on their own (absent until the first).',
      ),
    )
    .withPanel(
      timeseries(
        'Tail sampling decisions',
        'ops',
        [
          prom(`sum by (policy, sampled) (rate(${otelcol('processor_tail_sampling_count_traces_sampled')}[$__rate_interval]))`, {
            legend: '{{policy}} sampled={{sampled}}',
          }),
        ],
        { w: 8, h: 8 },
      ).description('Decisions per policy (render-jobs, errors, slow, sdk-sampled-requests, share-of-background).'),
    )
    .withPanel(
      timeseries(
        'Late spans after the sampling decision',
        'ops',
        [
          // With the decision cache, a job's worker spans (minutes after its decision) follow the
          // cached decision and are counted here; the late-span age is only recorded for a trace
          // still in memory.
          prom(`sum by (sampled) (rate(${otelcol('processor_tail_sampling_early_releases_from_cache_decision')}[$__rate_interval]))`, {
            legend: 'released by the cached decision, sampled={{sampled}}',
          }),
          prom(
            `histogram_quantile(0.95, sum by (le) (rate(${otelcol('processor_tail_sampling_sampling_late_span_age_bucket')}[$__rate_interval])))`,
            { legend: 'p95 late span age (trace in memory)', refId: 'B' },
          ),
          prom(`sum(rate(${otelcol('processor_tail_sampling_sampling_trace_dropped_too_early')}[$__rate_interval]))`, {
            legend: 'traces dropped too early /s',
            refId: 'C',
          }),
        ],
        { w: 8, h: 8 },
      ).description(
        "Spans that arrived after their trace's decision and followed it (a job's worker spans arrive minutes late), their age when the trace was still in memory, and traces evicted before a decision (num_traces too small).",
      ),
    )
    .withPanel(
      timeseries(
        'Span-derived request rate by service',
        'ops',
        [
          prom('sum by (service_name) (rate(traces_span_metrics_calls_total[$__rate_interval]))', { legend: '{{service_name}}' }),
          prom('sum by (service_name) (rate(traces_span_metrics_calls_total{status_code="STATUS_CODE_ERROR"}[$__rate_interval]))', {
            legend: 'errors {{service_name}}',
            refId: 'B',
          }),
        ],
        { w: 12, h: 8 },
      ).description('From the spanmetrics connector (every span, before tail sampling), pushed to Prometheus over OTLP.'),
    )
    .withPanel(
      timeseries(
        'Service graph edges',
        'ops',
        [
          prom('sum by (client, server) (rate(traces_service_graph_request_total[$__rate_interval]))', {
            legend: '{{client}} → {{server}}',
          }),
        ],
        { w: 12, h: 8 },
      ).description("From the servicegraph connector; Tempo's service map draws the same edges."),
    )
    .withPanel(
      timeseries(
        'Tempo spans received',
        'ops',
        [
          prom('sum(rate(tempo_distributor_spans_received_total{job="tempo"}[$__rate_interval]))', {
            legend: 'spans/s into Tempo',
          }),
        ],
        { w: 12, h: 8 },
      ).description("Tempo's own count of spans received from the collector (tail-sampled)."),
    )
    .withRow(new RowBuilder('Prometheus and Alertmanager'))
    .withPanel(
      // `or vector(0)`: with every target up, count() of nothing is no data, not 0.
      stat('Targets down', 'short', [prom('count(up == 0) or vector(0)', { instant: true, legend: 'down' })], { w: 6, h: 6 })
        .thresholds(
          thresholds([
            [null, 'green'],
            [1, 'red'],
          ]),
        )
        .description('Scrape targets not answering.'),
    )
    .withPanel(
      timeseries('Scrape targets up', 'short', [prom('sum by (job) (up)', { legend: '{{job}}' })], { w: 6, h: 6 }).description(
        'Up targets per job.',
      ),
    )
    .withPanel(
      timeseries(
        'Rule evaluation failures',
        'ops',
        [prom('sum by (rule_group) (rate(prometheus_rule_evaluation_failures_total[$__rate_interval]))', { legend: '{{rule_group}}' })],
        { w: 6, h: 6 },
      )
        .description('A failing rule never fires: alerts are blind while this is above zero.')
        .links([runbookLink('PrometheusRuleEvaluationFailures')]),
    )
    .withPanel(
      timeseries('TSDB head series', 'short', [prom('max by (instance) (prometheus_tsdb_head_series)', { legend: '{{instance}}' })], {
        w: 6,
        h: 6,
      }).description('A sudden rise usually means a high-cardinality label slipped in.'),
    )
    .withPanel(
      timeseries(
        'Alertmanager notifications',
        'ops',
        [
          prom('sum by (integration) (rate(alertmanager_notifications_total[$__rate_interval]))', { legend: 'sent {{integration}}' }),
          prom('sum by (integration) (rate(alertmanager_notifications_failed_total[$__rate_interval]))', {
            legend: 'failed {{integration}}',
            refId: 'B',
          }),
        ],
        { w: 12, h: 8 },
      )
        .description('Failed notifications mean pages are not reaching Slack.')
        .links([runbookLink('AlertmanagerNotificationsFailing')]),
    )
    .withPanel(
      timeseries('Alertmanager alerts by state', 'short', [prom('sum by (state) (alertmanager_alerts)', { legend: '{{state}}' })], {
        w: 12,
        h: 8,
      })
        .description('Active and suppressed alerts; Watchdog should always be active.')
        .links([runbookLink('Watchdog')]),
    )
    .build();
}
