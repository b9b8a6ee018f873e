/**
 * Jobs this process is running, with the time each should take, for `render_jobs_overdue` and
 * RenderJobHung: a job still running long after its expected duration is a hung FFmpeg or a stuck
 * stage, which no other signal shows while the process keeps heartbeating.
 */

/** Fixed allowance for fetching, narration and storing, whatever the deck. */
export const OVERDUE_BASE_SECONDS = 300;
/** Encode allowance per second of video: 10x slower than real time is far beyond a healthy render. */
export const OVERDUE_SECONDS_PER_VIDEO_SECOND = 10;

/** How long a job rendering `videoSeconds` of video may run before it counts as overdue. */
export function expectedJobSeconds(videoSeconds: number): number {
  return OVERDUE_BASE_SECONDS + OVERDUE_SECONDS_PER_VIDEO_SECOND * Math.max(0, videoSeconds);
}

const running = new Map<symbol, { startedMs: number; expectedSeconds: number }>();

/** Registers a running job; the returned function unregisters it (call it once the attempt ends). */
export function trackActiveJob(videoSeconds: number, startedMs = Date.now()): () => void {
  const key = Symbol('job');
  running.set(key, { startedMs, expectedSeconds: expectedJobSeconds(videoSeconds) });
  return () => void running.delete(key);
}

/** Running jobs past their expected duration at `nowMs`. */
export function overdueJobs(nowMs = Date.now()): number {
  let n = 0;
  for (const j of running.values()) if (nowMs - j.startedMs > j.expectedSeconds * 1000) n++;
  return n;
}
