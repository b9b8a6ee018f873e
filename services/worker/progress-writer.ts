/**
 * Throttled progress writes: FFmpeg reports many times a second, the job store should see a few.
 * Stage weights map each stage's own 0–1 onto the job's overall progress.
 */
import type { Stage } from '../shared/job';
import { recordProgressUpdate } from '../telemetry/metrics';

/** Share of the job's progress each stage covers; encode dominates the wall time. */
export const STAGE_SPAN: Record<Stage, [number, number]> = {
  fetch: [0, 0.1],
  tts: [0.1, 0.2],
  encode: [0.2, 0.95],
  store: [0.95, 1],
};

/** Calls `write` at most every `intervalMs`, always with the latest value; `flush` writes the pending one. */
export class ProgressWriter {
  private last = 0;
  private pending: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private current = 0;

  constructor(
    private readonly write: (progress: number) => Promise<void>,
    private readonly intervalMs = 300,
  ) {}

  /** Reports `fraction` (0–1) of `stage`; progress never goes backwards. */
  report(stage: Stage, fraction: number): void {
    const [from, to] = STAGE_SPAN[stage];
    const value = Math.round((from + (to - from) * Math.min(1, Math.max(0, fraction))) * 1000) / 1000;
    if (value <= this.current) return;
    this.current = value;
    this.pending = value;
    const wait = this.last + this.intervalMs - Date.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  /** Writes the pending value now, if any. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === null) return;
    const value = this.pending;
    this.pending = null;
    this.last = Date.now();
    recordProgressUpdate();
    // A lost progress write is harmless; the next one (or the final status) supersedes it.
    this.write(value).catch(() => undefined);
  }

  /** Drops any pending write (the attempt ended). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = null;
  }
}
