/**
 * The overview's first row, what an SRE reads at a glance: firing alerts, the error budget and how
 * fast it burns, the API's rate, errors and latency, the queue wait and the workers. Every figure
 * comes from a recording rule (prometheus/rules/render-recording.yml), the same numbers the alerts
 * compare, and counted once however many API replicas report them.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRIC_NAMES as M } from '../../services/telemetry/metrics';
import { FIRING_ALERTS_EXPR } from '../lib/annotations';
import { runbookLink } from '../lib/links';
import { stat, thresholdLines, thresholds, timeseries } from '../lib/panels';
import { prom } from '../lib/queries';

/** The API's request counter (from the http.server.request.duration histogram), narrowed by `$instance`. */
export const HTTP_REQUESTS = `${M.httpServerDuration}_count{job="render-api", instance=~"$instance"}`;

/** First row: stats, then the burn rate and API charts with their alert thresholds drawn. */
export function glancePanels(): cog.Builder<Panel>[] {
  const small = { w: 4, h: 5 };
  return [
    stat('Firing alerts', 'short', [prom(`count(${FIRING_ALERTS_EXPR}) or vector(0)`, { instant: true, legend: 'firing' })], small)
      .description('Alerts firing now (Watchdog excluded); the table at the bottom names them.')
      .thresholds(
        thresholds([
          [null, 'green'],
          [1, 'red'],
        ]),
      )
      .decimals(0),
    stat(
      'Error budget left (30d)',
      'percentunit',
      [prom('render:slo_error_budget:remaining30d', { instant: true, legend: 'budget left' })],
      small,
    )
      .description('Share of the 30-day error budget (1% of finished jobs may fail) still unspent; negative once overspent.')
      .thresholds(
        thresholds([
          [null, 'red'],
          [0, 'orange'],
          [0.25, 'green'],
        ]),
      )
      .decimals(1)
      .noValue('no finished jobs')
      .links([runbookLink('RenderSLOBurnRate')]),
    stat('Burn rate (1h)', 'suffix:×', [prom('render:slo_burn_rate:rate1h', { instant: true, legend: 'burn rate 1h' })], small)
      .description(
        'How fast the error budget burns over the last hour: 1 spends exactly the 30-day budget in 30 days; the page fires at 14.4.',
      )
      .thresholds(
        thresholds([
          [null, 'green'],
          [1, 'orange'],
          [14.4, 'red'],
        ]),
      )
      .decimals(1)
      .noValue('no finished jobs')
      .links([runbookLink('RenderSLOBurnRate')]),
    stat('API 5xx ratio', 'percentunit', [prom('render:http_errors:ratio_rate5m', { instant: true, legend: '5xx' })], small)
      .description('Share of API requests answered with a server error over 5 minutes (page above 5%).')
      .thresholds(
        thresholds([
          [null, 'green'],
          [0.05, 'red'],
        ]),
      )
      .decimals(2)
      .noValue('no requests')
      .links([runbookLink('RenderApiErrorsHigh')]),
    stat('Queue wait p95', 's', [prom('render:queue_wait_seconds:p95_rate5m', { instant: true, legend: 'p95 wait' })], small)
      .description('95th percentile of the time jobs waited for a worker over 5 minutes.')
      .noValue('no job started')
      .links([runbookLink('RenderQueueBacklog')]),
    stat('Workers alive', 'short', [prom('render:workers_alive:max', { instant: true, legend: 'workers' })], small)
      .description('Workers that heartbeated to the queue backend recently (counted once across API replicas).')
      .thresholds(
        thresholds([
          [null, 'red'],
          [1, 'green'],
        ]),
      )
      .links([runbookLink('RenderWorkerDown')]),
    thresholdLines(
      timeseries(
        'Burn rate',
        'suffix:×',
        [prom('render:slo_burn_rate:rate1h', { legend: '1h' }), prom('render:slo_burn_rate:rate5m', { legend: '5m', refId: 'B' })],
        { w: 8, h: 7 },
      ),
      [
        [null, 'green'],
        [6, 'orange'],
        [14.4, 'red'],
      ],
    )
      .description('Error-budget burn rate over 1h and 5m; the lines are the page thresholds (14.4x over 1h/5m, 6x over 6h/30m).')
      .links([runbookLink('RenderSLOBurnRate')]),
    timeseries(
      'API requests by status',
      'reqps',
      [prom(`sum by (http_response_status_code) (rate(${HTTP_REQUESTS}[$__rate_interval]))`, { legend: '{{http_response_status_code}}' })],
      { w: 8, h: 7 },
    )
      .description('API requests per second by HTTP status, every request (whatever the trace sampling).')
      .links([runbookLink('RenderApiErrorsHigh')]),
    thresholdLines(
      timeseries(
        'API latency p95',
        's',
        [
          prom('render:http_request_duration_seconds:p95_rate5m', { legend: 'p95 (downloads excluded)' }),
          prom(
            `histogram_quantile(0.95, sum by (le, http_route) (rate(${M.httpServerDuration}_bucket{job="render-api", instance=~"$instance"}[$__rate_interval])))`,
            { legend: '{{http_route}}', refId: 'B', exemplar: true },
          ),
        ],
        { w: 8, h: 7 },
      ),
      [
        [null, 'green'],
        [1, 'red'],
      ],
    )
      .description(
        '95th percentile response time, overall and per route; the line is the 1s alert threshold. Exemplars open traced requests.',
      )
      .links([runbookLink('RenderApiLatencyHigh')]),
  ];
}
