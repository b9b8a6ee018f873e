/**
 * The one place the encode stage's FFmpeg and ffprobe commands open an input file, so how files
 * are opened (a forced demuxer, allowed protocols) is decided here and nowhere else.
 */
import { mediaInputArgs } from '../media-input';

/**
 * Arguments that open `file` as an input, with the demuxer forced when `demuxer` is given (every
 * downloaded asset has one, chosen from an allowlist by the fetch stage) and FFmpeg kept to
 * `-protocol_whitelist file,pipe` (services/worker/media-input.ts), so no input can make it open a URL.
 */
export function inputFile(file: string, demuxer?: string): string[] {
  return mediaInputArgs(file, demuxer);
}
