/**
 * The encode stage: one FFmpeg run per slide (video segment + exact-length WAV), then a final run
 * that concatenates the video with `-c copy` and encodes the joined audio to AAC once. Segment
 * frame counts are rounded on the running total, so the video's length stays within one frame of
 * the sum of slide durations however many slides there are.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Span } from '@opentelemetry/api';
import { FfmpegError } from '../../shared/errors/ffmpeg-error';
import { ATTR, EVENTS } from '../../telemetry/attributes';
import { withSpan } from '../../telemetry/tracing';
import { runChild } from '../child';
import { FfmpegProgressParser } from '../ffmpeg-progress';
import { mediaInputArgs } from '../media-input';
import { probeMedia } from '../probe';
import { throwIfAborted, withStageTimeout, type SlideWork, type StageContext } from './context';
import { segmentArgs, type SegmentPlan } from './slide-segment';

/** What the encode stage produced. */
export interface EncodeResult {
  /** The MP4 in the scratch dir. */
  file: string;
  /** Planned length in seconds (sum of the slides' effective durations). */
  plannedSeconds: number;
  /** FFmpeg's speed over the whole encode (× real time), or null when unknown. */
  speed: number | null;
}

/** Receives the encode's progress, 0–1. */
export type ProgressListener = (fraction: number) => void;

/** Seconds each slide lasts: its duration, stretched to its audio when the audio is longer. */
export async function slideSeconds(work: SlideWork[], signal: AbortSignal): Promise<number[]> {
  const out: number[] = [];
  for (const item of work) {
    let seconds = item.slide.duration;
    if (item.assets.audioPath)
      seconds = Math.max(seconds, (await probeMedia(item.assets.audioPath, signal, { demuxer: item.assets.audioDemuxer })).durationSeconds);
    out.push(seconds);
  }
  return out;
}

/** Frame counts per slide, rounded on the running total so rounding errors never accumulate. */
export function planSegments(seconds: number[], fps: number): SegmentPlan[] {
  let elapsed = 0;
  return seconds.map((s, index) => {
    const startFrame = Math.round(elapsed * fps);
    elapsed += s;
    const frames = Math.max(1, Math.round(elapsed * fps) - startFrame);
    return { index, frames, seconds: frames / fps, video: `seg-${index}.mp4`, audio: `seg-${index}.wav` };
  });
}

/** Encodes the whole deck to `output.mp4` in the scratch dir. */
export async function encodeStage(
  ctx: StageContext,
  work: SlideWork[],
  onProgress: ProgressListener = () => undefined,
): Promise<EncodeResult> {
  return withStageTimeout('encode', ctx.config.timeouts.encode, ctx.signal, (signal) =>
    withSpan('ffmpeg encode', { [ATTR.RENDER_JOB_SLIDES]: work.length }, async (span) => {
      const cfg = ctx.request.config;
      const plans = planSegments(await slideSeconds(work, signal), cfg.fps);
      const total = plans.reduce((sum, p) => sum + p.seconds, 0);
      let done = 0;
      let encodeSeconds = 0;
      let lastEvent = -1;
      const report = (seconds: number) => {
        const fraction = Math.min(1, seconds / total);
        onProgress(fraction);
        const decile = Math.floor(fraction * 10);
        if (decile > lastEvent) {
          lastEvent = decile;
          span.addEvent(EVENTS.FFMPEG_PROGRESS, { 'render.ffmpeg.progress': decile / 10 });
        }
      };
      for (const plan of plans) {
        const args = await segmentArgs(ctx.scratchDir, work[plan.index], plan, cfg);
        const speed = await runFfmpeg(ctx.scratchDir, args, signal, span, (t) => report(done + Math.min(t, plan.seconds)));
        encodeSeconds += speed ? plan.seconds / speed : 0;
        done += plan.seconds;
      }
      const file = 'output.mp4';
      await writeFile(path.join(ctx.scratchDir, 'video.txt'), plans.map((p) => `file '${p.video}'\n`).join(''));
      await writeFile(path.join(ctx.scratchDir, 'audio.txt'), plans.map((p) => `file '${p.audio}'\n`).join(''));
      await runFfmpeg(ctx.scratchDir, concatArgs(file, total), signal, span, () => undefined);
      report(total);
      const speed = encodeSeconds > 0 ? total / encodeSeconds : null;
      span.setAttributes({ [ATTR.RENDER_FFMPEG_EXIT_CODE]: 0, [ATTR.RENDER_OUTPUT_DURATION_SECONDS]: total });
      if (speed !== null) span.setAttribute(ATTR.RENDER_FFMPEG_SPEED, speed);
      return { file: path.join(ctx.scratchDir, file), plannedSeconds: total, speed };
    }),
  );
}

function concatArgs(output: string, total: number): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-y',
    '-nostats',
    '-progress',
    'pipe:1',
    ...mediaInputArgs('video.txt', 'concat', ['-safe', '0']),
    ...mediaInputArgs('audio.txt', 'concat', ['-safe', '0']),
    '-map',
    '0:v',
    '-map',
    '1:a',
    '-c:v',
    'copy',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-t',
    total.toFixed(6),
    '-movflags',
    '+faststart',
    output,
  ];
}

/** Runs FFmpeg in `cwd`, streaming progress; returns its last reported speed. Non-zero exit → FfmpegError. */
export async function runFfmpeg(
  cwd: string,
  args: string[],
  signal: AbortSignal,
  span: Span,
  onTime: (seconds: number) => void,
): Promise<number | null> {
  const parser = new FfmpegProgressParser((p) => onTime(p.outTimeSeconds));
  const result = await runChild('ffmpeg', args, { cwd, signal, onStdout: (c) => parser.push(c) });
  if (result.aborted) throwIfAborted(signal);
  if (result.exitCode !== 0) {
    span.setAttribute(ATTR.RENDER_FFMPEG_EXIT_CODE, result.exitCode ?? -1);
    const how = result.signal ? `signal ${result.signal}` : `exit code ${result.exitCode}`;
    throw new FfmpegError(`ffmpeg failed with ${how}`, result.exitCode, result.signal, result.stderrTail);
  }
  return parser.lastSpeed;
}
