/** Overview row: the Node.js processes (memory, uptime, event-loop delay). */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRIC_NAMES as M } from '../../services/telemetry/metrics';
import { runbookLink } from '../lib/links';
import { table, thresholdLines, timeseries } from '../lib/panels';
import { prom, sel } from '../lib/queries';

/** Event-loop delay p99, from @opentelemetry/instrumentation-runtime-node as Prometheus names it. */
export const EVENT_LOOP_P99 = 'nodejs_eventloop_delay_p99_seconds';

/** Process health panels, one series per instance. */
export function processPanels(): cog.Builder<Panel>[] {
  return [
    timeseries('Process memory', 'bytes', [prom(`sum by (instance, type) (${sel(M.memory)})`, { legend: '{{instance}} {{type}}' })], {
      w: 8,
      h: 8,
    })
      .description("RSS, V8 heap used/total and external memory per process (the service's own, children not included).")
      .links([runbookLink('RenderMemoryNearLimit')]),
    thresholdLines(
      timeseries(
        'Memory vs limit',
        'percentunit',
        [prom(`max by (instance) (${sel(M.memoryUsage)}) / max by (instance) (${sel(M.memoryLimit)})`, { legend: '{{instance}}' })],
        { w: 8, h: 8 },
      ),
      [
        [null, 'green'],
        [0.9, 'red'],
      ],
    )
      .description(
        'Each process and its FFmpeg children against its memory limit (RENDER_MEMORY_LIMIT_BYTES or the container limit); the line is the 90% alert threshold.',
      )
      .max(1)
      .links([runbookLink('RenderMemoryNearLimit'), runbookLink('RenderOOMKilled')]),
    timeseries(
      'Free disk space',
      'bytes',
      [prom(`min by (instance, volume) (${sel('render_storage_free_bytes')})`, { legend: '{{instance}} {{volume}}' })],
      { w: 8, h: 8 },
    )
      .description('Free bytes of the data and scratch volumes; RenderStorageFillingUp predicts when they run out.')
      .links([runbookLink('RenderStorageFillingUp')]),
    timeseries('Overdue jobs', 'short', [prom(`sum by (instance) (${sel(M.jobsOverdue)})`, { legend: '{{instance}}' })], { w: 8, h: 8 })
      .description('Running jobs past their expected duration (5 minutes plus 10x the video length) per process.')
      .links([runbookLink('RenderJobHung')]),
    timeseries('Event-loop delay p99', 's', [prom(`max by (instance) (${sel(EVENT_LOOP_P99)})`, { legend: '{{instance}}' })], {
      w: 8,
      h: 8,
    }).description('A blocked event loop delays every request and heartbeat of that process.'),
    table('Uptime', 's', [prom(`max by (job, instance) (${sel(M.uptime)})`, { instant: true, table: true, legend: '{{instance}}' })], {
      w: 8,
      h: 8,
    })
      .description('Seconds since each process started; a small value means a recent restart.')
      .withTransformation({ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: 'uptime' } } })
      .links([runbookLink('RenderProcessRestarting')]),
    table(
      'Versions',
      'none',
      [
        prom(`max by (job, instance, version, ffmpeg_version, node_version) (${sel(M.buildInfo)})`, {
          instant: true,
          table: true,
          legend: '{{instance}}',
        }),
      ],
      { w: 8, h: 8 },
    )
      .description('What each process runs (render_build_info): the service, FFmpeg and Node.js versions.')
      .withTransformation({ id: 'organize', options: { excludeByName: { Time: true, Value: true } } }),
  ];
}
