/**
 * What a failed external tool leaves in the logs: the last lines of its stderr, bounded, without the
 * parts that can hold user content. FFmpeg at its default log level prints each input's container
 * metadata (an uploaded MP3's title, artist, comment tags) as an indented block under `Metadata:`;
 * those blocks are dropped. Deck text never reaches a tool's command line or stderr (narration goes
 * through a file, drawtext reads `textfile=`), so what is left is the tool's own diagnostics.
 */
import { FfmpegError } from '../shared/errors';
import { TtsError } from '../shared/errors';

/** Lines of stderr a failed run's log record keeps, and characters per line. */
export const STDERR_TAIL_LINES = 20;
const LINE_CHARS = 300;

const indent = (line: string) => line.length - line.trimStart().length;

/** The last `maxLines` non-empty lines of `stderr`, metadata blocks and control characters removed, each line capped. */
export function stderrTailLines(stderr: string, maxLines = STDERR_TAIL_LINES): string[] {
  const kept: string[] = [];
  let metadataIndent = -1;
  for (const raw of stderr.split(/\r?\n|\r/)) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping terminal escapes and control bytes is the point
    const line = raw.replace(/\x1b\[[0-9;]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f]/g, '').trimEnd();
    if (!line.trim()) continue;
    if (metadataIndent >= 0 && indent(line) > metadataIndent) continue;
    metadataIndent = -1;
    if (/^\s*Metadata:\s*$/.test(line)) {
      metadataIndent = indent(line);
      continue;
    }
    kept.push(line.length > LINE_CHARS ? `${line.slice(0, LINE_CHARS)}…` : line);
  }
  return kept.slice(-maxLines);
}

/** The tool and stderr tail of an error that a tool's failed run raised, or undefined for any other error. */
export function failedToolOutput(err: unknown): { tool: 'ffmpeg' | 'espeak-ng'; lines: string[] } | undefined {
  if (err instanceof FfmpegError) return { tool: 'ffmpeg', lines: stderrTailLines(err.stderrTail) };
  if (err instanceof TtsError && err.stderrTail) return { tool: 'espeak-ng', lines: stderrTailLines(err.stderrTail) };
  return undefined;
}
