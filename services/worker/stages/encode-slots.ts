/**
 * How many FFmpeg runs the encode stage starts at once, and how many threads each may use: up to
 * RENDER_ENCODE_PARALLELISM runs, fewer when that many encodes of this frame size would not fit in
 * half of the memory the worker may use (RENDER_MEMORY_LIMIT_BYTES, else its cgroup limit, else the
 * machine's), each with a fixed number of x264 threads (PIECE_THREADS): x264's output depends on
 * its thread count, and a piece must come out byte for byte the same on every machine for the
 * piece cache to reuse it (a core count is not part of a piece's key).
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

/**
 * x264 threads of every piece run. Two: pieces are short (a GOP, a fade), so more frame threads
 * mostly wait on each other, and the runs in parallel (one per core) fill the machine.
 */
export const PIECE_THREADS = 2;

/** Parallel FFmpeg runs and threads per run for frames of `width`×`height`. */
export function encodeSlots(
  parallelism: number,
  width: number,
  height: number,
  memory = memoryLimitBytes(),
): { runs: number; threads: number } {
  const fit = Math.floor((memory * MEMORY_SHARE) / encodeBytes(width, height));
  const runs = Math.max(1, Math.min(parallelism, fit));
  return { runs, threads: PIECE_THREADS };
}
