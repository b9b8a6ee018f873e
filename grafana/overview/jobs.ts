/** Overview rows: jobs by status, success rate against the SLO, throughput, render duration. */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import { FieldColorBuilder, FieldColorModeId, type Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRIC_NAMES as M } from '../../services/telemetry/metrics';
import { runbookLink } from '../lib/links';
import { stat, thresholdLines, thresholds, timeseries } from '../lib/panels';
import { mean, prom, quantile, sel } from '../lib/queries';

/** The success-rate objective: 99% of finished jobs complete. */
export const SLO_TARGET = 0.99;

const finished = (status: string, window: string) => `sum(increase(${sel(M.jobs, `status="${status}"`)}[${window}]))`;

/**
 * Completed / (completed + failed) over `window`. During a total outage no job completes and the
 * completed series may not exist at all: the `or` makes the numerator 0 then, so the panel shows
 * 0%, not "no data" (nothing finished at all still has no ratio).
 */
export function successRatio(window: string): string {
  const total = `sum(increase(${sel(M.jobs, 'status=~"completed|failed"')}[${window}]))`;
  return `(${finished('completed', window)} or on() 0 * ${total}) / ${total}`;
}

/** Job counts in the time range, one stat per status (the original admin page's counters). */
export function jobCountPanels(): cog.Builder<Panel>[] {
  const count = (title: string, status: string, color: string) =>
    stat(title, 'short', [prom(finished(status, '$__range'), { instant: true, legend: status })])
      .description(`Jobs that reached "${status}" in the selected time range.`)
      .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.Fixed).fixedColor(color))
      .decimals(0);
  return [
    count('Submitted', 'queued', 'blue'),
    count('Completed', 'completed', 'green'),
    count('Failed', 'failed', 'red'),
    count('Cancelled', 'cancelled', 'orange'),
    stat('Success rate (SLO 99%)', 'percentunit', [prom(successRatio('$__range'), { instant: true, legend: 'success rate' })])
      .description('Completed / (completed + failed) in the time range; red below the 99% objective.')
      .thresholds(
        thresholds([
          [null, 'red'],
          [SLO_TARGET, 'green'],
        ]),
      )
      .decimals(2)
      .noValue('no finished jobs')
      .links([runbookLink('RenderSLOBurnRate')]),
    stat('Average render duration', 's', [prom(mean(M.duration, '$__range'), { instant: true, legend: 'mean' })])
      .description('Mean processing time of finished jobs in the time range.')
      .noValue('no finished jobs'),
  ];
}

/** Success rate over time against the objective, and throughput by outcome. */
export function rateAndThroughputPanels(): cog.Builder<Panel>[] {
  return [
    thresholdLines(
      timeseries('Success rate vs SLO', 'percentunit', [
        prom('render:job_success:ratio_rate5m', { legend: 'success rate (5m)' }),
        prom('render:job_success:ratio_rate1h', { legend: 'success rate (1h)', refId: 'B' }),
      ]),
      [
        [null, 'red'],
        [SLO_TARGET, 'green'],
      ],
    )
      .description('Share of finished jobs that completed (recording rules); the line is the 99% objective. 0% during a total outage.')
      .max(1)
      .links([runbookLink('RenderSLOBurnRate')]),
    timeseries('Throughput by outcome', 'cpm', [prom('render:jobs:rate5m * 60', { legend: '{{status}}' })]).description(
      'Jobs per minute reaching each status (queued = submitted), across every process.',
    ),
  ];
}

/** Span metrics of worker attempts (consumer spans `process <queue>`), as Prometheus names them after OTLP ingestion. */
export const ATTEMPT_SPANS = 'traces_span_metrics_duration_milliseconds_bucket{span_kind="SPAN_KIND_CONSUMER", span_name=~"process .*"}';

/** Render duration: mean and percentiles, with exemplars that open the job's trace. */
export function durationPanels(): cog.Builder<Panel>[] {
  return [
    timeseries(
      'Render duration (mean, p50, p95, p99)',
      's',
      [
        prom(mean(M.duration), { legend: 'mean', exemplar: true }),
        prom(quantile(0.5, M.duration), { legend: 'p50', refId: 'B', exemplar: true }),
        prom(quantile(0.95, M.duration), { legend: 'p95', refId: 'C', exemplar: true }),
        prom(quantile(0.99, M.duration), { legend: 'p99', refId: 'D', exemplar: true }),
      ],
      { w: 12, h: 8 },
    )
      .description('Processing time of finished jobs. Exemplar dots link to the trace of a real job.')
      .links([runbookLink('RenderDurationP95High')]),
    thresholdLines(
      timeseries('Render duration p95 by outcome', 's', [prom('render:duration_seconds:p95_rate5m', { legend: '{{status}}' })], {
        w: 6,
        h: 8,
      }),
      [
        [null, 'green'],
        [600, 'orange'],
      ],
    )
      .description('p95 processing time by outcome (recording rule); the line is the 10-minute RenderDurationP95High threshold.')
      .links([runbookLink('RenderDurationP95High')]),
    timeseries(
      'Attempt duration p95 from traces',
      'ms',
      [prom(`histogram_quantile(0.95, sum by (le) (rate(${ATTEMPT_SPANS}[$__rate_interval])))`, { legend: 'p95 attempt', exemplar: true })],
      { w: 6, h: 8 },
    ).description(
      'From the collector\'s spanmetrics (every "process" consumer span, before sampling); each exemplar opens that attempt\'s trace.',
    ),
  ];
}
