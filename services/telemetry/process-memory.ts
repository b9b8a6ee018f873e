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
import { readFileSync } from 'node:fs';
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

// A process does not change cgroup: the directory is looked up once per source set, not per scrape.
const cgroupDirs = new WeakMap<MemorySources, string | null>();

/** This process's cgroup v2 directory (from `0::/path` in /proc/<pid>/cgroup), if it has memory accounting. */
export function cgroupDir(s: MemorySources = DEFAULT_SOURCES): string | undefined {
  let dir = cgroupDirs.get(s);
  if (dir === undefined) {
    dir = lookUpCgroupDir(s) ?? null;
    cgroupDirs.set(s, dir);
  }
  return dir ?? undefined;
}

function lookUpCgroupDir(s: MemorySources): string | undefined {
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

// statm counts pages; 4 KiB on x86-64 and on the Debian arm64 kernels the images run on.
const PAGE_SIZE = 4096;

/** Resident set of one process in bytes from /proc/<pid>/statm (0 when it is gone). */
function rssOf(procRoot: string, pid: number): number {
  const resident = Number(read(path.join(procRoot, String(pid), 'statm'))?.split(' ')[1]);
  return Number.isFinite(resident) ? resident * PAGE_SIZE : 0;
}

/**
 * Direct children of a process, from its main thread's `children` file. Node forks its children
 * (FFmpeg, espeak-ng) from the event-loop thread, whose id is the pid, and the tools fork from
 * their main thread too; reading every thread's file cost ~0.5 ms per scrape (Node has a dozen
 * threads) for no process that this service starts.
 */
function childrenOf(procRoot: string, pid: number): number[] {
  const kids: number[] = [];
  for (const c of read(path.join(procRoot, String(pid), 'task', String(pid), 'children'))
    ?.trim()
    .split(/\s+/) ?? [])
    if (/^\d+$/.test(c)) kids.push(Number(c));
  return kids;
}

/** Resident set of this process and all its descendants in bytes, or undefined without /proc. */
export function processTreeRss(s: MemorySources = DEFAULT_SOURCES): number | undefined {
  if (read(path.join(s.procRoot, String(s.pid), 'statm')) === undefined) return undefined;
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
