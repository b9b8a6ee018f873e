/**
 * How many FFmpeg runs the encode stage starts at once, and how many threads each may use: up to
 * RENDER_ENCODE_PARALLELISM runs, fewer when that many encodes of this frame size would not fit in
 * half of the memory the worker may use (RENDER_MEMORY_LIMIT_BYTES, else its cgroup limit, else the
 * machine's), and x264's default thread count (1.5 per core) shared out between them so parallel
 * runs do not oversubscribe the CPU.
 */
import os from 'node:os';
import { cgroupLimit } from '../../telemetry/process-memory';

/** Share of the memory limit the parallel encodes may take; the rest is Node, the queue and the kernel's cache. */
const MEMORY_SHARE = 0.5;

/** Resident memory of one x264 run: ~64 MiB of FFmpeg itself plus about 40 frames (lookahead, references, buffers). */
export function encodeBytes(width: number, height: number): number {
  return 64 * 1024 * 1024 + 40 * width * height * 1.5;
}

/** The memory this worker may use: RENDER_MEMORY_LIMIT_BYTES when configured, else its cgroup's limit, else the machine's memory. */
export function memoryLimitBytes(configured?: number): number {
  return Math.min(configured ?? cgroupLimit() ?? os.totalmem(), os.totalmem());
}

/** Parallel FFmpeg runs and threads per run for frames of `width`×`height`. */
export function encodeSlots(
  parallelism: number,
  width: number,
  height: number,
  memory = memoryLimitBytes(),
  cores = os.availableParallelism(),
): { runs: number; threads: number } {
  const fit = Math.floor((memory * MEMORY_SHARE) / encodeBytes(width, height));
  const runs = Math.max(1, Math.min(parallelism, fit));
  // x264's own default is 1.5 threads per core; shared out between the runs, so parallel runs stay within it.
  return { runs, threads: Math.max(1, Math.round((1.5 * cores) / runs)) };
}
