/**
 * Per-attempt scratch directories under `<dataDir>/scratch/<hostname>.<pid>/`, and the start-up sweep
 * that cleans up after a process that died without cleaning up (kill -9, OOM, power loss): its
 * external tools still running are killed (with their process groups) and its scratch files and
 * half-written outputs are removed. A directory is stale when its owner pid no longer exists on this host.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../telemetry/logger';

/** The scratch root shared by every process using `dataDir`. */
export function scratchRoot(dataDir: string): string {
  return path.join(dataDir, 'scratch');
}

function ownDir(dataDir: string): string {
  return path.join(scratchRoot(dataDir), `${os.hostname()}.${process.pid}`);
}

/** A fresh directory for one attempt, removed by the runner when the attempt ends. */
export async function makeScratchDir(dataDir: string): Promise<string> {
  const dir = ownDir(dataDir);
  mkdirSync(dir, { recursive: true });
  return mkdtemp(path.join(dir, 'job-'));
}

/** True when `pid` is a live process (EPERM: alive, someone else's). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What a sweep did. */
export interface SweepResult {
  staleDirs: number;
  killed: number;
  partialOutputs: number;
}

/** Cleans up after dead processes of this host: their tools, scratch dirs, and temp outputs in `outputDir`. */
export async function sweepStale(dataDir: string, outputDir: string, logger: Logger): Promise<SweepResult> {
  const result: SweepResult = { staleDirs: 0, killed: 0, partialOutputs: 0 };
  const root = scratchRoot(dataDir);
  const prefix = `${os.hostname()}.`;
  const stale: string[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid !== process.pid && !processExists(pid)) stale.push(path.join(root, name));
  }
  if (stale.length > 0) {
    result.killed = await killToolsUsing(stale);
    for (const dir of stale) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    result.staleDirs = stale.length;
  }
  // The local storage's upload temp files are `.<key>.<pid>.<hex>.tmp`: remove those of dead processes.
  for (const name of await readdir(outputDir).catch(() => [] as string[])) {
    const m = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name);
    if (m && Number(m[1]) !== process.pid && !processExists(Number(m[1]))) {
      await rm(path.join(outputDir, name), { force: true }).catch(() => undefined);
      result.partialOutputs++;
    }
  }
  if (result.staleDirs + result.killed + result.partialOutputs > 0) logger.warn({ ...result }, 'swept what a dead process left behind');
  return result;
}

/**
 * Kills (SIGKILL, whole process group) every process whose working directory or command line is
 * inside one of `dirs`: FFmpeg runs in its scratch dir, espeak-ng and ffprobe name files in it. The
 * paths hold a dead pid, so no unrelated process matches. Linux (/proc); elsewhere nothing is found.
 */
async function killToolsUsing(dirs: string[]): Promise<number> {
  let killed = 0;
  const inside = (p: string) => dirs.some((d) => p === d || p.startsWith(`${d}/`) || p.includes(`${d}/`));
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (!inside(cwd) && !cmdline.split('\0').some(inside)) continue;
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
        killed++;
        break;
      } catch {
        // not a group leader (try the process), or already gone
      }
    }
  }
  return killed;
}
