/** Overview row: the queue (sizes by state, oldest job age, wait time, work in progress, workers). */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRIC_NAMES as M } from '../../services/telemetry/metrics';
import { runbookLink } from '../lib/links';
import { stat, thresholdLines, timeseries } from '../lib/panels';
import { prom, quantile, sel } from '../lib/queries';

/**
 * Queue panels. Every API replica observes the same queue, so they read the recording rules that
 * take the max across replicas (summing would count the queue once per replica).
 */
export function queuePanels(): cog.Builder<Panel>[] {
  return [
    thresholdLines(timeseries('Queue size by state', 'short', [prom('render:queue_size:max', { legend: '{{state}}' })], { w: 8, h: 8 }), [
      [null, 'green'],
      [50, 'orange'],
      [100, 'red'],
    ])
      .description(
        'Jobs waiting, being processed (active) and waiting for a retry (delayed); lines at the backlog thresholds (50, 100 waiting).',
      )
      .links([runbookLink('RenderQueueBacklog')]),
    timeseries('Oldest waiting job age', 's', [prom('render:queue_oldest_job_age_seconds:max', { legend: 'oldest waiting job' })], {
      w: 8,
      h: 8,
    })
      .description('Grows while jobs wait; a stall is when it grows and no job progresses (Job progress updates).')
      .links([runbookLink('RenderQueueStalled')]),
    timeseries(
      'Queue wait time (p50, p95)',
      's',
      [prom(quantile(0.5, M.queueWait), { legend: 'p50' }), prom('render:queue_wait_seconds:p95_rate5m', { legend: 'p95', refId: 'B' })],
      { w: 8, h: 8 },
    ).description('Time from enqueue (or retry) to the start of an attempt.'),
    stat('Jobs in progress', 'short', [prom('render:jobs_in_progress:sum', { instant: true, legend: 'in progress' })], {
      w: 6,
      h: 4,
    }).description('Jobs being processed right now, across all workers.'),
    timeseries(
      'Job progress updates',
      'cpm',
      [prom(`sum(rate(${sel(M.progressUpdates)}[$__rate_interval])) * 60`, { legend: 'progress writes' })],
      { w: 6, h: 4 },
    )
      .description('Progress writes of running jobs per minute: flat at zero with jobs waiting is a stall.')
      .links([runbookLink('RenderQueueStalled'), runbookLink('RenderJobHung')]),
    stat('Waiting jobs', 'short', [prom('render:queue_size:max{state="waiting"}', { instant: true, legend: 'waiting' })], {
      w: 6,
      h: 4,
    }).description('Jobs waiting for a worker now.'),
    stat('Retries in range', 'short', [prom(`sum(increase(${sel(M.retries)}[$__range]))`, { instant: true, legend: 'retries' })], {
      w: 6,
      h: 4,
    })
      .description('Attempts that failed and were scheduled again.')
      .decimals(0),
  ];
}
