/** Overview rows: errors by category (over time and as a table), pipeline stages, encode speed. */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRIC_NAMES as M } from '../../services/telemetry/metrics';
import { runbookLink } from '../lib/links';
import { heatmap, table, timeseries } from '../lib/panels';
import { prom, quantile, sel } from '../lib/queries';

/** Errors over time and totals by category. */
export function errorPanels(): cog.Builder<Panel>[] {
  return [
    timeseries('Errors by category', 'cpm', [prom('render:errors:rate5m * 60', { legend: '{{category}}' })], { w: 12, h: 8 })
      .description('Jobs that failed for good per minute, by error category (retried attempts are in Retries).')
      .links([runbookLink('RenderErrorSpike')]),
    table(
      'Errors by category (time range)',
      'short',
      [
        prom(`sort_desc(sum by (category) (increase(${sel(M.errors)}[$__range])))`, { instant: true, table: true, legend: '{{category}}' }),
        prom(`sum by (category) (increase(${sel(M.retries)}[$__range]))`, {
          instant: true,
          table: true,
          legend: '{{category}}',
          refId: 'B',
        }),
      ],
      { w: 6, h: 8 },
    )
      .description('Jobs failed for good (A) and retries scheduled (B) per category in the time range.')
      .withTransformation({ id: 'merge', options: {} })
      .withTransformation({
        id: 'organize',
        options: { excludeByName: { Time: true }, renameByName: { 'Value #A': 'errors', 'Value #B': 'retries' } },
      })
      .decimals(0),
    timeseries(
      'Webhook deliveries',
      'cpm',
      [prom(`sum by (event, outcome) (rate(${sel(M.webhooks)}[$__rate_interval])) * 60`, { legend: '{{event}} {{outcome}}' })],
      { w: 6, h: 8 },
    ).description('Webhook deliveries per minute by event and outcome.'),
  ];
}

/** Where the time goes: stage duration heatmap and p95 per stage, encode speed, video produced. */
export function stagePanels(): cog.Builder<Panel>[] {
  return [
    heatmap(
      'Stage durations (all stages)',
      's',
      [prom(`sum by (le) (increase(${sel(`${M.stageDuration}_bucket`)}[$__rate_interval]))`, { heatmap: true, legend: '{{le}}' })],
      { w: 12, h: 8 },
    ).description('Distribution of per-attempt stage durations (fetch, tts, encode, store).'),
    timeseries('Stage duration p95 by stage', 's', [prom(quantile(0.95, M.stageDuration, ['stage']), { legend: '{{stage}}' })], {
      w: 12,
      h: 8,
    }).description('The stage whose p95 rises is where to look first.'),
    timeseries(
      'Encode speed (median, × real time)',
      'suffix:×',
      [prom(quantile(0.5, M.encodeSpeed), { legend: 'p50' }), prom(quantile(0.1, M.encodeSpeed), { legend: 'p10 (slowest)', refId: 'B' })],
      { w: 12, h: 8 },
    ).description('FFmpeg speed as a multiple of playback; below 1 encodes slower than real time.'),
    timeseries(
      'Video produced',
      's',
      [prom(`sum(rate(${sel(M.outputSeconds)}[$__rate_interval])) * 60`, { legend: 'video seconds per minute' })],
      { w: 12, h: 8 },
    ).description('Seconds of finished video produced per minute of wall time.'),
    timeseries(
      'Cost per rendered minute',
      's',
      [
        prom(`sum(rate(${sel(M.cpuSeconds)}[$__rate_interval])) / sum(rate(${sel(M.encodedSeconds)}[$__rate_interval])) * 60`, {
          legend: 'all stages',
        }),
        prom(
          `sum by (stage) (rate(${sel(M.cpuSeconds)}[$__rate_interval])) / scalar(sum(rate(${sel(M.encodedSeconds)}[$__rate_interval]))) * 60`,
          {
            legend: '{{stage}}',
            refId: 'B',
          },
        ),
      ],
      { w: 12, h: 8 },
    ).description(
      'CPU-seconds of FFmpeg, ffprobe and espeak-ng per minute of video encoded (render:cpu_seconds_per_output_second:ratio_rate1h × 60 over the dashboard interval).',
    ),
  ];
}
