/**
 * When a worker counts as dead, in one place: every backend, the worker's `/healthz` and the admin
 * page agree. Three missed heartbeats tolerates a slow beat or two (a busy event loop, a GC pause)
 * without leaving a crashed worker's jobs stranded for long.
 */
export const MISSED_HEARTBEATS_BEFORE_DEAD = 3;

/** How long after its last heartbeat a worker still counts as alive. */
export function livenessWindowMs(heartbeatMs: number): number {
  return MISSED_HEARTBEATS_BEFORE_DEAD * heartbeatMs;
}

/** Whether a worker last seen at `lastSeenMs` (epoch ms) is alive at `nowMs`. */
export function isAlive(lastSeenMs: number, nowMs: number, heartbeatMs: number): boolean {
  return nowMs - lastSeenMs <= livenessWindowMs(heartbeatMs);
}
