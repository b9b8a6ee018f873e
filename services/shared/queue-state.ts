/**
 * What a queue reports about itself, as the domain sees it: the admin summary reads these shapes,
 * and every queue backend produces them (services/queue/contract.ts re-exports them).
 */

/** Queue figures, observed as `render_queue_size{state}` and `render_queue_oldest_job_age_seconds`. */
export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  /** Age of the oldest waiting job in seconds; 0 when none waits. */
  oldestWaitingAgeSeconds: number;
}

/** A worker seen by the backend, for the admin summary's liveness view. */
export interface WorkerInfo {
  id: string;
  hostname: string;
  pid: number;
  concurrency: number;
  active: number;
  lastSeenAt: string;
}
