/** Process-tree and media helpers for the end-to-end render tests (Linux /proc, real ffprobe). */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Every live descendant of `pid` as { pid, comm }, read from /proc. */
export function descendants(pid: number): { pid: number; comm: string }[] {
  const parentOf = new Map<number, { ppid: number; comm: string }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // comm is in parentheses and may hold spaces; the fields after the last ')' are fixed.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const [state, ppid] = stat.slice(close + 2).split(' ');
      if (state !== 'Z') parentOf.set(Number(name), { ppid: Number(ppid), comm });
    } catch {
      // the process exited while we read
    }
  }
  const found: { pid: number; comm: string }[] = [];
  const walk = (parent: number) => {
    for (const [child, info] of parentOf) {
      if (info.ppid === parent) {
        found.push({ pid: child, comm: info.comm });
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

/** Live ffmpeg processes under `pid`. */
export function ffmpegUnder(pid: number): number[] {
  return descendants(pid)
    .filter((p) => p.comm === 'ffmpeg')
    .map((p) => p.pid);
}

/** What ffprobe says about a media file. */
export interface Probe {
  durationSeconds: number;
  video: { codec: string; width: number; height: number } | null;
  audio: { codec: string } | null;
}

/** Runs the real ffprobe on `file`. */
export function probe(file: string): Probe {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height:format=duration', '-of', 'json', file],
    {
      encoding: 'utf8',
    },
  );
  const parsed = JSON.parse(out) as {
    streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
    format: { duration: string };
  };
  const v = parsed.streams.find((s) => s.codec_type === 'video');
  const a = parsed.streams.find((s) => s.codec_type === 'audio');
  return {
    durationSeconds: Number(parsed.format.duration),
    video: v ? { codec: v.codec_name, width: v.width ?? 0, height: v.height ?? 0 } : null,
    audio: a ? { codec: a.codec_name } : null,
  };
}
