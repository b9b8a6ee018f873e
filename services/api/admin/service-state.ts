/** The page's service status, derived from what the summary observed instead of a fixed word. */
import { livenessWindowMs } from '../../queue/liveness';
import type { Summary } from '../../shared/stats';

/** ok: queue answers and a worker heartbeated recently; degraded: queue answers but no fresh worker; down: queue unreachable. */
export type ServiceState = 'ok' | 'degraded' | 'down';

/** The overall state and the freshest worker heartbeat age (seconds), or null when no worker was seen. */
export function serviceState(summary: Summary, heartbeatMs: number): { state: ServiceState; lastWorkerSeenSecondsAgo: number | null } {
  const ages = summary.service.workers.map((w) => w.lastSeenSecondsAgo);
  const freshest = ages.length ? Math.min(...ages) : null;
  if (!summary.service.queueReachable) return { state: 'down', lastWorkerSeenSecondsAgo: freshest };
  const fresh = freshest !== null && freshest <= livenessWindowMs(heartbeatMs) / 1000;
  return { state: fresh ? 'ok' : 'degraded', lastWorkerSeenSecondsAgo: freshest };
}
