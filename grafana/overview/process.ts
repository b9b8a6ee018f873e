/** Overview row: the Node.js processes (memory, uptime, event-loop delay). */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRIC_NAMES as M } from '../../services/telemetry/metrics';
import { runbookLink } from '../lib/links';
import { table, timeseries } from '../lib/panels';
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
      .description('RSS, V8 heap used/total and external memory per process.')
      .links([runbookLink('RenderProcessMemoryHigh')]),
    timeseries('Event-loop delay p99', 's', [prom(`max by (instance) (${sel(EVENT_LOOP_P99)})`, { legend: '{{instance}}' })], {
      w: 8,
      h: 8,
    }).description('A blocked event loop delays every request and heartbeat of that process.'),
    table('Uptime', 's', [prom(`max by (job, instance) (${sel(M.uptime)})`, { instant: true, table: true, legend: '{{instance}}' })], {
      w: 8,
      h: 8,
    })
      .description('Seconds since each process started; a small value means a recent restart.')
      .withTransformation({ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: 'uptime' } } }),
  ];
}
