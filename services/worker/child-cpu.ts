/**
 * CPU time of finished child processes, from the kernel's accounting of waited-for children
 * (`cutime` + `cstime` in /proc/self/stat). Each call takes what was added since the previous one,
 * so every second is counted once however many children run at the same time; a child reaped in
 * the same instant as another may be counted with it. 0 where /proc does not exist.
 */
import { readFileSync } from 'node:fs';

/** Linux reports these times in clock ticks of 1/100 s (USER_HZ). */
const TICKS_PER_SECOND = 100;

function reapedChildrenSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name, which may itself hold spaces: state is first, cutime the 14th, cstime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

let last = reapedChildrenSeconds();

/** CPU seconds of the children that finished since the last call. */
export function takeChildrenCpuSeconds(): number {
  const now = reapedChildrenSeconds();
  const delta = now - last;
  last = now;
  return Number.isFinite(delta) && delta > 0 ? delta : 0;
}
