/**
 * What the tools that make pieces are, as it bears on their bytes: FFmpeg's own version text
 * (its libraries' versions and build configuration) plus the exact shared objects it loads for
 * libx264, freetype, harfbuzz and fribidi (their resolved file names carry the versions, e.g.
 * libfreetype.so.6.20.1), and espeak-ng's version line. Read once per process; a tool that cannot
 * be asked gives a fingerprint that matches nothing else, so its pieces are simply never reused.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { runChild } from '../child';

/** The libraries whose versions decide a piece's bytes besides FFmpeg's own. */
const LIBRARIES = /lib(x264|freetype|harfbuzz|fribidi|fontconfig)\.so[^\s]*\s+=>\s+(\S+)/g;

let ffmpeg: Promise<string> | undefined;
let espeak: Promise<string> | undefined;

/** FFmpeg's fingerprint (a hash of its version text and its text/encoder libraries' files). */
export function ffmpegFingerprint(): Promise<string> {
  ffmpeg ??= (async () => {
    const version = await output('ffmpeg', ['-hide_banner', '-version']);
    const binary = await output('sh', ['-c', 'command -v ffmpeg']);
    const ldd = binary.trim() ? await output('ldd', [binary.trim()]) : '';
    const libs = [...ldd.matchAll(LIBRARIES)].map((m) => resolved(m[2])).sort();
    return hash([version, ...libs].join('\n'));
  })();
  return ffmpeg;
}

/** espeak-ng's fingerprint (its version line names the version and its data path). */
export function espeakFingerprint(): Promise<string> {
  espeak ??= output('espeak-ng', ['--version']).then(hash);
  return espeak;
}

function resolved(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

async function output(command: string, args: string[]): Promise<string> {
  try {
    const r = await runChild(command, args, { captureStdout: true });
    return r.exitCode === 0 ? r.stdout : `unavailable ${command} ${Math.random()}`;
  } catch {
    return `unavailable ${command} ${Math.random()}`;
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
