/**
 * Checks the muxed MP4 before it is shipped: H.264 video and AAC audio present, the video exactly
 * the planned number of frames, and both streams within one frame of the planned length. Packets
 * are counted by demuxing only (one packet per frame in MP4), so the check decodes nothing.
 */
import { FfmpegError, OutputMismatchError } from '../../shared/errors';
import { runChild } from '../child';
import { throwIfAborted } from './context';
import { mediaInputArgs } from '../media-input';

/** What the encode planned. */
export interface PlannedOutput {
  frames: number;
  fps: number;
}

/** What the check read from the file. */
export interface CheckedOutput {
  frames: number;
  videoSeconds: number;
  audioSeconds: number;
}

interface ProbeJson {
  streams?: { codec_type?: string; codec_name?: string; nb_read_packets?: string; duration?: string }[];
}

/** Probes `file`; throws OutputMismatchError (category `ffmpeg`) when it is not what was planned. */
export async function checkOutput(cwd: string, file: string, plan: PlannedOutput, signal: AbortSignal): Promise<CheckedOutput> {
  const args = [
    '-v',
    'error',
    '-count_packets',
    '-print_format',
    'json',
    '-show_entries',
    'stream=codec_type,codec_name,nb_read_packets,duration',
  ];
  const result = await runChild('ffprobe', [...args, ...mediaInputArgs(file, 'mp4')], { cwd, signal, captureStdout: true });
  if (result.aborted) throwIfAborted(signal);
  if (result.exitCode !== 0) {
    throw new FfmpegError(
      `ffprobe could not read the output (exit ${result.exitCode ?? result.signal})`,
      result.exitCode,
      result.signal,
      result.stderrTail,
    );
  }
  const streams = (JSON.parse(result.stdout) as ProbeJson).streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  const problems: string[] = [];
  if (video?.codec_name !== 'h264') problems.push(`video stream is ${video?.codec_name ?? 'missing'}, not h264`);
  if (audio?.codec_name !== 'aac') problems.push(`audio stream is ${audio?.codec_name ?? 'missing'}, not aac`);
  const checked = {
    frames: Number(video?.nb_read_packets ?? 0),
    videoSeconds: Number(video?.duration ?? 0),
    audioSeconds: Number(audio?.duration ?? 0),
  };
  const planned = plan.frames / plan.fps;
  // A hair over one frame: durations are printed rounded to the microsecond.
  const tolerance = 1 / plan.fps + 1e-6;
  if (checked.frames !== plan.frames) problems.push(`${checked.frames} video frames, planned ${plan.frames}`);
  if (!(Math.abs(checked.videoSeconds - planned) <= tolerance)) problems.push(`video lasts ${checked.videoSeconds}s, planned ${planned}s`);
  if (audio && !(Math.abs(checked.audioSeconds - planned) <= tolerance))
    problems.push(`audio lasts ${checked.audioSeconds}s, planned ${planned}s`);
  if (problems.length > 0) throw new OutputMismatchError(`the rendered video is not what was planned: ${problems.join('; ')}`);
  return checked;
}
