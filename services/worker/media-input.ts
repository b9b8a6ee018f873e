/**
 * How FFmpeg and ffprobe open an input file: the one place that says so, so every run gets the same
 * guard. `-protocol_whitelist file,pipe` keeps a file from making FFmpeg open anything else (an HLS
 * or concat playlist disguised as an image names URLs and other files), and a demuxer chosen from
 * an allowlist is forced with `-f`, so FFmpeg never guesses the format from the file's content.
 */

/** Protocols an input may use: the file itself and pipes, never the network or other files by URL. */
export const PROTOCOL_WHITELIST: readonly string[] = ['-protocol_whitelist', 'file,pipe'];

/** Image formats accepted, by the type image-size reports, with the demuxer forced for each. */
export const IMAGE_DEMUXERS: Readonly<Record<string, string>> = Object.freeze({ png: 'png_pipe', jpg: 'jpeg_pipe', webp: 'webp_pipe' });

/** Audio demuxers accepted (ffprobe may only pick among these): mp3, wav, ogg/opus, flac, aac, m4a/mp4, webm/mkv. */
export const AUDIO_DEMUXERS: readonly string[] = ['mp3', 'wav', 'ogg', 'flac', 'aac', 'mov', 'matroska'];

/**
 * Arguments that open `file` as an input: the protocol whitelist, the forced demuxer (when the
 * caller knows it; every downloaded asset has one) and any demuxer options (`-loop 1`), then `-i`.
 */
export function mediaInputArgs(file: string, demuxer?: string, options: readonly string[] = []): string[] {
  return [...PROTOCOL_WHITELIST, ...(demuxer ? ['-f', demuxer] : []), ...options, '-i', file];
}
