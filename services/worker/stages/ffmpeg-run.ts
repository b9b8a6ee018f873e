/**
 * Runs one FFmpeg command in the scratch dir: progress from `-progress pipe:1` when asked for,
 * its own CPU time from `-benchmark`, and a non-zero exit turned into an FfmpegError.
 */
import type { Span } from '@opentelemetry/api';
import { FfmpegError } from '../../shared/errors';
import { ATTR } from '../../telemetry/attributes';
import { runChild } from '../child';
import { takeChildrenCpuSeconds } from '../child-cpu';
import { FfmpegProgressParser } from '../ffmpeg-progress';
import { throwIfAborted } from './context';

/** What a finished FFmpeg run reported. */
export interface FfmpegRun {
  /** Its last reported speed (× real time), when it reported progress. */
  speed: number | null;
  /** CPU seconds (user + system, all threads) it used. */
  cpuSeconds: number;
}

/** FFmpeg's `-benchmark` line: `bench: utime=0.412s stime=0.045s rtime=0.651s`. */
const BENCH = /bench: utime=([\d.]+)s stime=([\d.]+)s/;

/** CPU seconds from FFmpeg's `-benchmark` report in its stderr, or null when it has none. */
export function benchmarkCpuSeconds(stderr: string): number | null {
  const m = BENCH.exec(stderr);
  return m ? Number(m[1]) + Number(m[2]) : null;
}

/** Callbacks of runFfmpeg. */
export interface FfmpegHooks {
  /** Seconds written so far, when the args ask for `-progress pipe:1`. */
  onTime?: (seconds: number) => void;
  /** The run's CPU seconds, once it has exited, failed or not. */
  onCpu?: (seconds: number) => void;
}

/** Runs FFmpeg in `cwd`. Non-zero exit → FfmpegError. */
export async function runFfmpeg(cwd: string, args: string[], signal: AbortSignal, span: Span, hooks: FfmpegHooks = {}): Promise<FfmpegRun> {
  const parser = new FfmpegProgressParser((p) => hooks.onTime?.(p.outTimeSeconds));
  const result = await runChild('ffmpeg', args, { cwd, signal, onStdout: (c) => parser.push(c) });
  // The kernel's count includes this child now; FFmpeg's own figure is exact for it, so the kernel's is only consumed.
  const reaped = takeChildrenCpuSeconds();
  const cpuSeconds = benchmarkCpuSeconds(result.stderrTail) ?? reaped;
  hooks.onCpu?.(cpuSeconds);
  if (result.aborted) throwIfAborted(signal);
  if (result.exitCode !== 0) {
    span.setAttribute(ATTR.RENDER_FFMPEG_EXIT_CODE, result.exitCode ?? -1);
    const how = result.signal ? `signal ${result.signal}` : `exit code ${result.exitCode}`;
    throw new FfmpegError(`ffmpeg failed with ${how}`, result.exitCode, result.signal, result.stderrTail);
  }
  return { speed: parser.lastSpeed, cpuSeconds };
}
