/**
 * Memory of this process and its children (FFmpeg, espeak-ng) and the limit it runs under, for
 * RenderMemoryNearLimit and RenderOOMKilled. Linux only, read from files that cost microseconds at
 * scrape time; anything unreadable yields no sample rather than a wrong zero.
 *
 * - usage: the cgroup v2 working set (memory.current minus inactive file cache, as the kernel's OOM
 *   decision and cAdvisor see it) where the process has its own cgroup (a container); else the
 *   resident set of the process tree (this process and every descendant, from /proc).
 * - limit: RENDER_MEMORY_LIMIT_BYTES when configured, else the cgroup's memory.max.
 * - OOM kills: memory.events' `oom_kill` of that cgroup.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Where the figures come from; tests point these at files they write. */
export interface MemorySources {
  /** The cgroup v2 mount (normally /sys/fs/cgroup). */
  cgroupRoot: string;
  /** The proc filesystem (normally /proc). */
  procRoot: string;
  /** This process's pid. */
  pid: number;
}

export const DEFAULT_SOURCES: MemorySources = { cgroupRoot: '/sys/fs/cgroup', procRoot: '/proc', pid: process.pid };

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** This process's cgroup v2 directory (from `0::/path` in /proc/<pid>/cgroup), if it has memory accounting. */
export function cgroupDir(s: MemorySources = DEFAULT_SOURCES): string | undefined {
  const line = read(path.join(s.procRoot, String(s.pid), 'cgroup'))
    ?.split('\n')
    .find((l) => l.startsWith('0::'));
  if (!line) return undefined;
  const dir = path.join(s.cgroupRoot, line.slice(3).trim());
  return read(path.join(dir, 'memory.current')) === undefined ? undefined : dir;
}

/** `key value` lines (memory.stat, memory.events) as numbers. */
function keyValues(text: string | undefined): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text?.split('\n') ?? []) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) m.set(k, Number(v));
  }
  return m;
}

/** The cgroup's working set in bytes, or undefined without a readable cgroup v2. */
export function cgroupWorkingSet(s: MemorySources = DEFAULT_SOURCES): number | undefined {
  const dir = cgroupDir(s);
  if (!dir) return undefined;
  const current = Number(read(path.join(dir, 'memory.current'))?.trim());
  if (!Number.isFinite(current)) return undefined;
  const inactiveFile = keyValues(read(path.join(dir, 'memory.stat'))).get('inactive_file') ?? 0;
  return Math.max(0, current - inactiveFile);
}

/** The cgroup's memory.max in bytes; undefined when unlimited (`max`) or unreadable. */
export function cgroupLimit(s: MemorySources = DEFAULT_SOURCES): number | undefined {
  const dir = cgroupDir(s);
  const text = dir ? read(path.join(dir, 'memory.max'))?.trim() : undefined;
  return text && /^\d+$/.test(text) ? Number(text) : undefined;
}

/** memory.events' oom_kill count of the cgroup, or undefined when unreadable. */
export function cgroupOomKills(s: MemorySources = DEFAULT_SOURCES): number | undefined {
  const dir = cgroupDir(s);
  return dir ? keyValues(read(path.join(dir, 'memory.events'))).get('oom_kill') : undefined;
}

/** VmRSS of one process in bytes (0 when it is gone). */
function rssOf(procRoot: string, pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(read(path.join(procRoot, String(pid), 'status')) ?? '');
  return m ? Number(m[1]) * 1024 : 0;
}

/** Direct children of a process, from every thread's `children` file. */
function childrenOf(procRoot: string, pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(path.join(procRoot, String(pid), 'task'));
  } catch {
    return [];
  }
  const kids = new Set<number>();
  for (const t of tasks) {
    for (const c of read(path.join(procRoot, String(pid), 'task', t, 'children'))
      ?.trim()
      .split(/\s+/) ?? [])
      if (/^\d+$/.test(c)) kids.add(Number(c));
  }
  return [...kids];
}

/** Resident set of this process and all its descendants in bytes, or undefined without /proc. */
export function processTreeRss(s: MemorySources = DEFAULT_SOURCES): number | undefined {
  if (read(path.join(s.procRoot, String(s.pid), 'status')) === undefined) return undefined;
  let total = 0;
  const seen = new Set<number>();
  const queue = [s.pid];
  // Bounded: a process tree of a render worker is a handful of processes.
  while (queue.length > 0 && seen.size < 1024) {
    const pid = queue.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    total += rssOf(s.procRoot, pid);
    queue.push(...childrenOf(s.procRoot, pid));
  }
  return total;
}

/** The usage RenderMemoryNearLimit compares: the cgroup's working set, else the process tree's RSS. */
export function memoryUsage(s: MemorySources = DEFAULT_SOURCES): number | undefined {
  return cgroupWorkingSet(s) ?? processTreeRss(s);
}
