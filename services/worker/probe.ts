/** ffprobe wrappers: media duration and video size, read as JSON. */
import { FfmpegError } from '../shared/errors';
import { throwIfAborted } from './stages/context';
import { runChild } from './child';
import { PROTOCOL_WHITELIST } from './media-input';

/** What ffprobe tells us about a media file. */
export interface ProbeResult {
  durationSeconds: number;
  width: number | null;
  height: number | null;
  videoCodec: string | null;
  audioCodec: string | null;
  pixFmt: string | null;
  formatName: string;
}

/** How to open the file: a forced demuxer, or a list ffprobe may choose from; a pixel cap for decoders. */
export interface ProbeOptions {
  demuxer?: string;
  formatWhitelist?: readonly string[];
  maxPixels?: number;
}

interface ProbeJson {
  format?: { duration?: string; format_name?: string };
  streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number; pix_fmt?: string; duration?: string }[];
}

/** Probes `file`; a file ffprobe cannot read rejects with FfmpegError. */
export async function probeMedia(file: string, signal?: AbortSignal, options: ProbeOptions = {}): Promise<ProbeResult> {
  const args = ['-v', 'error', ...PROTOCOL_WHITELIST];
  if (options.formatWhitelist) args.push('-format_whitelist', options.formatWhitelist.join(','));
  if (options.maxPixels) args.push('-max_pixels', String(options.maxPixels));
  if (options.demuxer) args.push('-f', options.demuxer);
  args.push('-print_format', 'json', '-show_format', '-show_streams', '--', file);
  const result = await runChild('ffprobe', args, { signal, captureStdout: true });
  if (result.aborted && signal) throwIfAborted(signal);
  if (result.exitCode !== 0) {
    throw new FfmpegError(`ffprobe failed (exit ${result.exitCode ?? result.signal})`, result.exitCode, result.signal, result.stderrTail);
  }
  const json = JSON.parse(result.stdout) as ProbeJson;
  const streams = json.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  const duration = Number(json.format?.duration ?? audio?.duration ?? video?.duration ?? NaN);
  return {
    durationSeconds: Number.isFinite(duration) ? duration : 0,
    width: video?.width ?? null,
    height: video?.height ?? null,
    videoCodec: video?.codec_name ?? null,
    audioCodec: audio?.codec_name ?? null,
    pixFmt: video?.pix_fmt ?? null,
    formatName: json.format?.format_name ?? '',
  };
}
