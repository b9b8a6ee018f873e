/**
 * What runs: the service version, FFmpeg's and Node's, for `render_build_info` (a gauge of 1 whose
 * labels change when any of them does: the dashboards annotate deploys with it). FFmpeg's version
 * is asked once, in the background (`unknown` if it cannot answer).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The labels of render_build_info. */
export interface BuildInfo {
  version: string;
  ffmpeg_version: string;
  node_version: string;
}

function packageVersion(): string {
  try {
    return (
      (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown'
    );
  } catch {
    return 'unknown';
  }
}

/** The version word of `ffmpeg -version`'s first line (`ffmpeg version 5.1.6-0+deb12u1 Copyright…`). */
export function parseFfmpegVersion(output: string): string | undefined {
  return /^ffmpeg version (\S+)/m.exec(output)?.[1];
}

let ffmpeg: string | undefined;
let asked = false;
let version: string | undefined;

/** Starts asking FFmpeg for its version, once per process; never throws. */
function askFfmpeg(): void {
  if (asked) return;
  asked = true;
  try {
    // Only PATH: nothing else of this process's environment reaches the child.
    const child = execFile(
      'ffmpeg',
      ['-hide_banner', '-version'],
      { timeout: 5000, env: { PATH: process.env.PATH ?? '' } },
      (err, stdout) => {
        ffmpeg = (err ? undefined : parseFfmpegVersion(String(stdout))) ?? 'unknown';
      },
    );
    child.on('error', () => {
      ffmpeg ??= 'unknown';
    });
  } catch {
    ffmpeg = 'unknown';
  }
}

/**
 * The build info, or undefined until FFmpeg has answered (a few milliseconds after the first
 * call): a series first labelled `unknown` and then relabelled would read as a deploy.
 */
export function buildInfo(): BuildInfo | undefined {
  askFfmpeg();
  if (ffmpeg === undefined) return undefined;
  version ??= packageVersion();
  return { version, ffmpeg_version: ffmpeg, node_version: process.versions.node };
}
