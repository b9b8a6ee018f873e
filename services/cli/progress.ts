/** Progress display for `submit --follow`: a bar with stage and ETA on a TTY, plain lines otherwise. */

/** Estimates seconds left from the progress rate observed since the first sample. */
export class EtaEstimator {
  private first: { at: number; progress: number } | null = null;

  /** Feeds a progress sample (0–1) taken at `atMs`; returns seconds left, or null until the rate is known. */
  update(progress: number, atMs: number): number | null {
    if (!this.first || progress < this.first.progress) this.first = { at: atMs, progress };
    const done = progress - this.first.progress;
    const elapsed = (atMs - this.first.at) / 1000;
    if (done <= 0 || elapsed <= 0) return null;
    return Math.max(0, ((1 - progress) * elapsed) / done);
  }
}

/** `1m05s`-style duration. */
export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** One rendering of a job's progress, e.g. `[#####-----]  50% encode  ETA 12s`. */
export function progressLine(status: string, stage: string | null, progress: number, eta: number | null, width = 30): string {
  const p = Math.min(1, Math.max(0, progress));
  const filled = Math.round(p * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const pct = `${String(Math.round(p * 100)).padStart(3)}%`;
  const what = status === 'processing' ? (stage ?? 'starting') : status;
  return `${bar} ${pct} ${what.padEnd(10)}${eta !== null && status === 'processing' ? ` ETA ${formatSeconds(eta)}` : ''}`;
}

/** Writes progress: redraws one line on a TTY, prints a line per change otherwise. */
export class ProgressPrinter {
  private last = '';

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  /** Shows the latest state. */
  show(status: string, stage: string | null, progress: number, eta: number | null): void {
    if (this.out.isTTY) {
      this.out.write(`\r${progressLine(status, stage, progress, eta, Math.max(10, Math.min(40, (this.out.columns ?? 80) - 40)))}\x1b[K`);
      return;
    }
    const line = `${status}${stage ? ` ${stage}` : ''} ${Math.round(progress * 100)}%`;
    if (line !== this.last) this.out.write(`${line}\n`);
    this.last = line;
  }

  /** Ends the redrawn line. */
  done(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}
