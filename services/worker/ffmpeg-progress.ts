/** Parses FFmpeg's `-progress pipe:1` key=value stream into seconds encoded and speed. */

/** One progress report from FFmpeg. */
export interface FfmpegProgress {
  outTimeSeconds: number;
  speed: number | null;
  done: boolean;
}

/** Feeds on stdout chunks (which may split lines) and calls `onReport` at each `progress=` line. */
export class FfmpegProgressParser {
  private buffer = '';
  private outTimeUs = 0;
  private speed: number | null = null;
  /** The speed FFmpeg reported last, once it is known. */
  lastSpeed: number | null = null;

  constructor(private readonly onReport: (p: FfmpegProgress) => void) {}

  /** Consumes a chunk of FFmpeg's stdout. */
  push(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      this.line(this.buffer.slice(0, nl).trim());
      this.buffer = this.buffer.slice(nl + 1);
    }
  }

  private line(line: string): void {
    const eq = line.indexOf('=');
    if (eq < 0) return;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (key === 'out_time_us' || key === 'out_time_ms') {
      // FFmpeg 5 reports microseconds under both names; N/A before the first frame.
      const n = Number(value);
      if (Number.isFinite(n) && n >= 0) this.outTimeUs = n;
    } else if (key === 'speed') {
      const n = Number.parseFloat(value);
      this.speed = Number.isFinite(n) && n > 0 ? n : null;
      if (this.speed !== null) this.lastSpeed = this.speed;
    } else if (key === 'progress') {
      this.onReport({ outTimeSeconds: this.outTimeUs / 1e6, speed: this.speed, done: value === 'end' });
    }
  }
}
