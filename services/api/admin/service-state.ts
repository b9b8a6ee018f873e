/** The page's service status, derived from what the summary observed instead of a fixed word. */
import { livenessWindowMs } from '../../queue/liveness';
import type { Summary } from '../../shared/stats';

/**
 * ok: the queue answers, a worker heartbeated recently and the job success SLO is not burning;
 * degraded: the queue answers but no worker is fresh, or a RenderSLOBurnRate pair would fire (the
 * same rule, services/shared/slo.ts); down: the queue is unreachable.
 */
export type ServiceState = 'ok' | 'degraded' | 'down';

/** The overall state and the freshest worker heartbeat age (seconds), or null when no worker was seen. */
export function serviceState(summary: Summary, heartbeatMs: number): { state: ServiceState; lastWorkerSeenSecondsAgo: number | null } {
  const ages = summary.service.workers.map((w) => w.lastSeenSecondsAgo);
  const freshest = ages.length ? Math.min(...ages) : null;
  if (!summary.service.queueReachable) return { state: 'down', lastWorkerSeenSecondsAgo: freshest };
  const fresh = freshest !== null && freshest <= livenessWindowMs(heartbeatMs) / 1000;
  const burning = summary.slo?.burning ?? false;
  return { state: fresh && !burning ? 'ok' : 'degraded', lastWorkerSeenSecondsAgo: freshest };
}
