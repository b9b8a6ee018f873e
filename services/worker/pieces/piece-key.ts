/**
 * Content-addressed piece keys. A piece's key hashes the one command that would make that piece
 * alone, with every file it reads replaced by a hash of the file's bytes (an image or audio as
 * fetched, never its URL; the text files drawn or spoken; the font; a still by its own key) and
 * every file it writes replaced by a placeholder, plus the fingerprint of the tool that runs it.
 * So the text, voice, size, fps, quality and encoder arguments (a fixed x264 thread count
 * included) are all in it, and what is not in the command (slide index, scratch dir, URLs, the
 * job, the machine's core count) is not.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Bumped when the way pieces are made changes in a way the command does not show. */
export const PIECE_FORMAT_VERSION = 1;

/** The command that makes one piece, and what it reads and writes. */
export interface PieceCommand {
  tool: 'ffmpeg' | 'espeak-ng';
  /** That tool's fingerprint (tool-versions.ts). */
  toolFingerprint: string;
  args: readonly string[];
  /** Each file name (as it appears in `args`) it reads → the hash of that file's bytes. */
  inputs: Readonly<Record<string, string>>;
  /** The file names it writes, as they appear in `args`. */
  outputs: readonly string[];
}

/** The key of the piece `command` makes: 64 hex digits. */
export function pieceKey(command: PieceCommand): string {
  const substitutions: [string, string][] = [
    ...Object.entries(command.inputs).map(([name, digest]): [string, string] => [name, `<in:${digest}>`]),
    ...command.outputs.map((name, i): [string, string] => [name, `<out:${i}>`]),
  ];
  // Longest names first, so a name that contains another is replaced whole.
  substitutions.sort((a, b) => b[0].length - a[0].length);
  const args = command.args.map((arg) => substitutions.reduce((a, [name, token]) => a.split(name).join(token), arg));
  return sha256(JSON.stringify({ v: PIECE_FORMAT_VERSION, tool: command.tool, fingerprint: command.toolFingerprint, args }));
}

/** SHA-256 of a string or buffer, hex. */
export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of a file's bytes, hex (streamed: an image may be tens of megabytes). */
export async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}
