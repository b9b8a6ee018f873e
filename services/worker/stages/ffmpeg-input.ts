/**
 * The one place the encode stage's FFmpeg and ffprobe commands open an input file, so how files
 * are opened (a forced demuxer, allowed protocols) is decided here and nowhere else.
 */

/** Arguments that open `file` as an input, with the demuxer forced when `demuxer` is given. */
export function inputFile(file: string, demuxer?: string): string[] {
  return [...(demuxer ? ['-f', demuxer] : []), '-i', file];
}
