/** CPU time of a running process read from /proc, the measure the benches divide work by. */
import { readFileSync } from 'node:fs';

/** Linux reports these times in clock ticks of 1/100 s (USER_HZ). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds `pid` has used so far: its own user and system time, plus its waited-for children's
 * (FFmpeg, espeak-ng) when `children` is true.
 */
export function processCpuSeconds(pid: number, children = true): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const own = Number(f[11]) + Number(f[12]);
  return (children ? own + Number(f[13]) + Number(f[14]) : own) / TICKS_PER_SECOND;
}
