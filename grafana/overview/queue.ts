/** Overview row: the queue (sizes by state, oldest job age, wait time, work in progress, workers). */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRIC_NAMES as M } from '../../services/telemetry/metrics';
import { runbookLink } from '../lib/links';
import { stat, thresholds, timeseries } from '../lib/panels';
import { prom, quantile, sel } from '../lib/queries';

/** Queue panels; queue figures come from the API process only, so they need no de-duplication. */
export function queuePanels(): cog.Builder<Panel>[] {
  return [
    timeseries('Queue size by state', 'short', [prom(`sum by (state) (${sel(M.queueSize)})`, { legend: '{{state}}' })], { w: 8, h: 8 })
      .description('Jobs waiting, being processed (active) and waiting for a retry (delayed).')
      .links([runbookLink('RenderQueueBacklog')]),
    timeseries('Oldest waiting job age', 's', [prom(`max(${sel(M.oldestAge)})`, { legend: 'oldest waiting job' })], { w: 8, h: 8 })
      .description('Grows steadily when no worker takes jobs.')
      .links([runbookLink('RenderQueueStalled')]),
    timeseries(
      'Queue wait time (p50, p95)',
      's',
      [prom(quantile(0.5, M.queueWait), { legend: 'p50' }), prom(quantile(0.95, M.queueWait), { legend: 'p95', refId: 'B' })],
      { w: 8, h: 8 },
    ).description('Time from enqueue (or retry) to the start of an attempt.'),
    stat('Jobs in progress', 'short', [prom(`sum(${sel(M.inProgress)})`, { instant: true, legend: 'in progress' })], {
      w: 6,
      h: 4,
    }).description('Jobs being processed right now, across all workers.'),
    stat('Workers alive', 'short', [prom(`max(${sel(M.workersAlive)})`, { instant: true, legend: 'workers' })], { w: 6, h: 4 })
      .description('Workers that heartbeated to the queue backend recently.')
      .thresholds(
        thresholds([
          [null, 'red'],
          [1, 'green'],
        ]),
      )
      .links([runbookLink('RenderWorkerDown')]),
    stat('Waiting jobs', 'short', [prom(`sum(${sel(M.queueSize, 'state="waiting"')})`, { instant: true, legend: 'waiting' })], {
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
