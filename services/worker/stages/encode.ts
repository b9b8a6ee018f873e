/**
 * The encode stage. Each slide is drawn once and only what changes is encoded: a picture run per
 * slide writes its static piece (one GOP), its still and its WAV; fade runs encode the fade frames
 * from the still. Independent runs go in parallel (encode-slots.ts). The concat demuxer then
 * repeats each static piece into the slide's length by stream copy, and a final run joins the
 * video with `-c copy`, encodes the joined audio to AAC once and moves the index to the front.
 * The result is checked (output-check.ts) before it is returned. Slide frame counts are rounded
 * on the running total, so the video stays within one frame of the sum of the slide durations.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ATTR, EVENTS } from '../../telemetry/attributes';
import { recordChildCpu, recordOutputSeconds } from '../../telemetry/metrics';
import { withSpan } from '../../telemetry/tracing';
import { takeChildrenCpuSeconds } from '../child-cpu';
import { mediaInputArgs } from '../media-input';
import { probeMedia } from '../probe';
import { throwIfAborted, withStageTimeout, type SlideWork, type StageContext } from './context';
import { encodeSlots, memoryLimitBytes } from './encode-slots';
import { runFfmpeg } from './ffmpeg-run';
import { runAll } from './run-pool';
import { checkOutput } from './output-check';
import { outpointSeconds, piecesFrames, slidePieces, type SlidePieces } from './slide-pieces';
import { COMMON_FLAGS, fadeArgs, pictureArgs, type FadePart, type SegmentPlan } from './slide-segment';

/** What the encode stage produced. */
export interface EncodeResult {
  /** The MP4 in the scratch dir. */
  file: string;
  /** Planned length in seconds (sum of the slides' effective durations, rounded to whole frames). */
  plannedSeconds: number;
  /** Seconds of video produced per second of the stage's wall time (× real time). */
  speed: number | null;
  /** CPU seconds of every FFmpeg and ffprobe run of the stage. */
  cpuSeconds: number;
}

/** Receives the encode's progress, 0–1. */
export type ProgressListener = (fraction: number) => void;

/** Share of the progress bar for the pieces; the final mux fills the rest. */
const PIECES_SHARE = 0.9;

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
    return {
      index,
      frames,
      seconds: frames / fps,
      video: `seg-${index}-static.mp4`,
      audio: `seg-${index}.wav`,
      still: `seg-${index}-still.nut`,
      fadeIn: `seg-${index}-in.mp4`,
      fadeOut: `seg-${index}-out.mp4`,
    };
  });
}

/** True when slide `i` fades in on its own piece: a fade-in after a fade-out is part of the previous slide's transition. */
function ownFadeIn(pieces: SlidePieces[], i: number): boolean {
  return pieces[i].fadeIn > 0 && !(i > 0 && pieces[i - 1].fadeOut > 0);
}

/** One fade run: the piece it writes and the fades in it (a transition holds two). */
export interface FadeRun {
  file: string;
  parts: FadePart[];
}

/**
 * The fade runs of the deck: a slide that fades out followed by one that fades in make one
 * transition piece (written to the first slide's fade-out file); other fades are pieces of their own.
 */
export function fadeRuns(plans: SegmentPlan[], pieces: SlidePieces[]): FadeRun[] {
  const runs: FadeRun[] = [];
  plans.forEach((plan, i) => {
    const p = pieces[i];
    const next = pieces[i + 1];
    if (ownFadeIn(pieces, i)) runs.push({ file: plan.fadeIn, parts: [{ plan, kind: 'in', frames: p.fadeIn }] });
    if (p.fadeOut > 0) {
      const parts: FadePart[] = [{ plan, kind: 'out', frames: p.fadeOut }];
      if (next && next.fadeIn > 0) parts.push({ plan: plans[i + 1], kind: 'in', frames: next.fadeIn });
      runs.push({ file: plan.fadeOut, parts });
    }
  });
  return runs;
}

/** The concat demuxer's list for the whole video: per slide its fade-in, its static piece repeated (the last copy cut) and its fade-out or transition. */
export function videoList(plans: SegmentPlan[], pieces: SlidePieces[], fps: number): string {
  const lines: string[] = [];
  plans.forEach((plan, i) => {
    const p = pieces[i];
    if (ownFadeIn(pieces, i)) lines.push(`file '${plan.fadeIn}'`);
    for (let n = 0; n < p.repeats; n++) lines.push(`file '${plan.video}'`);
    if (p.remainder > 0) lines.push(`file '${plan.video}'`, `outpoint ${outpointSeconds(p.remainder, fps)}`);
    if (p.fadeOut > 0) lines.push(`file '${plan.fadeOut}'`);
  });
  return `ffconcat version 1.0\n${lines.join('\n')}\n`;
}

/** Encodes the whole deck to `output.mp4` in the scratch dir. */
export async function encodeStage(
  ctx: StageContext,
  work: SlideWork[],
  onProgress: ProgressListener = () => undefined,
): Promise<EncodeResult> {
  return withStageTimeout('encode', ctx.config.timeouts.encode, ctx.signal, (signal) =>
    withSpan('ffmpeg encode', { [ATTR.RENDER_JOB_SLIDES]: work.length }, async (span) => {
      const started = performance.now();
      const cfg = ctx.request.config;
      let cpuSeconds = 0;
      const addCpu = (seconds: number) => {
        cpuSeconds += seconds;
        recordChildCpu('encode', seconds);
      };
      const plans = planSegments(await slideSeconds(work, signal), cfg.fps);
      addCpu(takeChildrenCpuSeconds());
      const pieces = plans.map((p) => slidePieces(p.frames, cfg.fps, work[p.index].slide.transition === 'fade'));
      const frames = pieces.reduce((n, p) => n + piecesFrames(p), 0);
      const total = frames / cfg.fps;
      const slots = encodeSlots(ctx.config.encodeParallelism, cfg.width, cfg.height, memoryLimitBytes(ctx.config.memoryLimitBytes));
      span.setAttributes({ 'render.encode.parallelism': slots.runs, 'render.encode.threads': slots.threads });

      let lastEvent = -1;
      const report = (fraction: number) => {
        onProgress(fraction);
        const decile = Math.floor(fraction * 10);
        if (decile > lastEvent) {
          lastEvent = decile;
          span.addEvent(EVENTS.FFMPEG_PROGRESS, { 'render.ffmpeg.progress': decile / 10 });
        }
      };
      let framesDone = 0;
      const piecesDone = (n: number) => {
        framesDone += n;
        report((PIECES_SHARE * framesDone) / frames);
      };

      await runAll(signal, slots.runs, (limit, taskSignal) => {
        const run = (name: string, index: number, args: () => Promise<string[]> | string[]) =>
          limit(() =>
            withSpan(`ffmpeg ${name}`, { [ATTR.RENDER_SLIDE_INDEX]: index }, async (s) => {
              throwIfAborted(taskSignal);
              await runFfmpeg(ctx.scratchDir, await args(), taskSignal, s, { onCpu: addCpu });
            }),
          );
        const pictures = plans.map((plan) => {
          const p = pieces[plan.index];
          return run('slide picture', plan.index, () => pictureArgs(ctx.scratchDir, work[plan.index], plan, p, cfg, slots.threads)).then(
            () => piecesDone(p.gop * p.repeats + p.remainder),
          );
        });
        // Each fade run starts once the stills it reads exist.
        const fades = fadeRuns(plans, pieces).map((f) =>
          Promise.all(f.parts.map((part) => pictures[part.plan.index])).then(() =>
            run(f.parts.length > 1 ? 'transition' : `fade ${f.parts[0].kind}`, f.parts[0].plan.index, () =>
              fadeArgs(f.parts, f.file, cfg, slots.threads),
            ).then(() => piecesDone(f.parts.reduce((n, part) => n + part.frames, 0))),
          ),
        );
        return [...pictures, ...fades];
      });

      const file = 'output.mp4';
      await writeFile(path.join(ctx.scratchDir, 'video.txt'), videoList(plans, pieces, cfg.fps));
      await writeFile(path.join(ctx.scratchDir, 'audio.txt'), `ffconcat version 1.0\n${plans.map((p) => `file '${p.audio}'\n`).join('')}`);
      await withSpan('ffmpeg mux', {}, (s) =>
        runFfmpeg(ctx.scratchDir, muxArgs(file, total), signal, s, {
          onCpu: addCpu,
          onTime: (t) => report(PIECES_SHARE + (1 - PIECES_SHARE) * Math.min(1, t / total)),
        }),
      );
      await checkOutput(ctx.scratchDir, file, { frames, fps: cfg.fps }, signal).finally(() => addCpu(takeChildrenCpuSeconds()));
      report(1);
      const wall = (performance.now() - started) / 1000;
      const speed = wall > 0 ? total / wall : null;
      recordOutputSeconds(total);
      span.setAttributes({
        [ATTR.RENDER_FFMPEG_EXIT_CODE]: 0,
        [ATTR.RENDER_OUTPUT_DURATION_SECONDS]: total,
        'render.encode.cpu_seconds': cpuSeconds,
      });
      if (speed !== null) span.setAttribute(ATTR.RENDER_FFMPEG_SPEED, speed);
      return { file: path.join(ctx.scratchDir, file), plannedSeconds: total, speed, cpuSeconds };
    }),
  );
}

function muxArgs(output: string, total: number): string[] {
  return [
    ...COMMON_FLAGS,
    '-progress',
    'pipe:1',
    ...mediaInputArgs('video.txt', 'concat'),
    ...mediaInputArgs('audio.txt', 'concat'),
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
