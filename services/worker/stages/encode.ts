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
import { limiter, runAll } from './run-pool';
import { checkOutput, type CheckedOutput } from './output-check';
import { ANONYMOUS_CLIENT } from '../../shared/job';
import { pieceCacheFor, type PieceCache, type PieceRef } from '../pieces/piece-cache';
import { planPieceKeys, type DeckPieces } from './piece-plan';
import { pieceKey, sha256 } from '../pieces/piece-key';
import { ffmpegFingerprint } from '../pieces/tool-versions';
import { outpointSeconds, piecesFrames, slidePieces, type SlidePieces } from './slide-pieces';
import { COMMON_FLAGS, drawFilters, fadeArgs, pictureArgs, type FadePart, type SegmentPlan } from './slide-segment';

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
  /** What the output check read from the file (the store stage describes the video from it). */
  checked: CheckedOutput;
  /** Pieces the join used, how many came from the piece cache, and FFmpeg piece runs (0: nothing encoded but the join). */
  pieces: { total: number; reused: number; encoderRuns: number };
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

/** A render with the piece cache off: every piece is made, nothing is looked up. */
const NO_CACHE: PieceCache = {
  enabled: false,
  restore: async () => false,
  save: async () => undefined,
  recordUse: async () => undefined,
  evict: async () => undefined,
};

/** Pieces restored from the cache at once. */
const RESTORE_CONCURRENCY = 4;

/** Encodes the whole deck to `output.mp4` in the scratch dir, reusing the pieces the cache holds. */
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

      const draws = await Promise.all(plans.map((p) => drawFilters(ctx.scratchDir, work[p.index], p.index, cfg)));
      const runs = fadeRuns(plans, pieces);
      const settings = ctx.config.pieceCache;
      const cache =
        settings && settings.maxBytes > 0
          ? pieceCacheFor(ctx.storage, { ...settings, minFreeBytes: ctx.config.minFreeBytes }, ctx.client ?? ANONYMOUS_CLIENT, ctx.logger)
          : NO_CACHE;
      const keys = cache.enabled
        ? await withSpan('piece cache plan', {}, () => planPieceKeys(ctx.scratchDir, work, plans, pieces, runs, cfg, slots.threads, draws))
        : null;
      const at = (name: string) => path.join(ctx.scratchDir, name);

      // What the cache already holds; the list of this job's pieces is written before any is read.
      const have = {
        video: plans.map(() => false),
        still: plans.map(() => false),
        audio: plans.map(() => false),
        fade: runs.map(() => false),
      };
      if (keys)
        await withSpan('piece cache lookup', {}, async () => {
          const narration = work.flatMap((w) => (w.assets.audioPiece ? [w.assets.audioPiece] : []));
          const refs = [...keys.slides.flatMap((s) => [s.video, s.audio, ...(s.still ? [s.still] : [])]), ...keys.fades, ...narration];
          // The joined audio track's key is known from the WAVs' keys; it is listed with the rest.
          refs.push(trackRef(await ffmpegFingerprint(), keys, total));
          await cache.recordUse(ctx.jobId, refs);
          const restoring = limiter(RESTORE_CONCURRENCY);
          await Promise.all([
            ...plans.map(async (plan) => {
              const k = keys.slides[plan.index];
              [have.video[plan.index], have.audio[plan.index]] = await Promise.all([
                restoring(() => cache.restore(k.video, at(plan.video))),
                restoring(() => cache.restore(k.audio, at(plan.audio))),
              ]);
            }),
            ...runs.map(async (run, i) => {
              have.fade[i] = await restoring(() => cache.restore(keys.fades[i], at(run.file)));
            }),
          ]);
          // A still is needed only by a fade to be made; it comes from the cache unless the slide's picture run makes it anyway.
          const stillsNeeded = new Set(runs.flatMap((run, i) => (have.fade[i] ? [] : run.parts.map((part) => part.plan.index))));
          await Promise.all(
            [...stillsNeeded].map(async (i) => {
              const still = keys.slides[i].still;
              if (still && have.video[i]) have.still[i] = await restoring(() => cache.restore(still, at(plans[i].still)));
            }),
          );
        });
      const stillsNeeded = new Set(runs.flatMap((run, i) => (have.fade[i] ? [] : run.parts.map((part) => part.plan.index))));

      // The joined audio is encoded to AAC once, as its own piece: a re-render whose WAVs are all the same reuses it.
      await writeFile(path.join(ctx.scratchDir, 'audio.txt'), `ffconcat version 1.0\n${plans.map((p) => `file '${p.audio}'\n`).join('')}`);
      const track: PieceRef | null = keys ? trackRef(await ffmpegFingerprint(), keys, total) : null;
      const trackReused = track !== null && (await cache.restore(track, at(AUDIO_TRACK)));

      const saves: Promise<void>[] = [];
      const save = (ref: PieceRef | null | undefined, file: string) => {
        if (ref && cache.enabled) saves.push(cache.save(ref, at(file)));
      };
      let encoderRuns = 0;
      await runAll(signal, slots.runs, (limit, taskSignal) => {
        const run = (name: string, index: number, args: () => Promise<string[]> | string[]) =>
          limit(() =>
            withSpan(`ffmpeg ${name}`, { [ATTR.RENDER_SLIDE_INDEX]: index }, async (s) => {
              throwIfAborted(taskSignal);
              encoderRuns++;
              await runFfmpeg(ctx.scratchDir, await args(), taskSignal, s, { onCpu: addCpu });
            }),
          );
        const pictures = plans.map(async (plan) => {
          const i = plan.index;
          const p = pieces[i];
          const want = { video: !have.video[i], audio: !have.audio[i], still: stillsNeeded.has(i) && !have.still[i] };
          if (want.video || want.audio || want.still) {
            await run('slide picture', i, () => pictureArgs(work[i], plan, p, cfg, slots.threads, draws[i], want));
            const k = keys?.slides[i];
            if (want.video) save(k?.video, plan.video);
            if (want.audio) save(k?.audio, plan.audio);
            if (want.still) save(k?.still, plan.still);
          }
          piecesDone(p.gop * p.repeats + p.remainder);
        });
        // Each fade run starts once the stills it reads exist.
        const fades = runs.map(async (f, i) => {
          if (!have.fade[i]) {
            await Promise.all(f.parts.map((part) => pictures[part.plan.index]));
            await run(f.parts.length > 1 ? 'transition' : `fade ${f.parts[0].kind}`, f.parts[0].plan.index, () =>
              fadeArgs(f.parts, f.file, cfg, slots.threads),
            );
            save(keys?.fades[i], f.file);
          }
          piecesDone(f.parts.reduce((n, part) => n + part.frames, 0));
        });
        // The AAC track needs only the WAVs: it runs beside the fades (one thread, outside the pool), off the critical path.
        const audioTrack = trackReused
          ? []
          : [
              Promise.all(pictures).then(() =>
                withSpan('ffmpeg audio', {}, async (s) => {
                  throwIfAborted(taskSignal);
                  await runFfmpeg(ctx.scratchDir, trackArgs(total), taskSignal, s, { onCpu: addCpu });
                  save(track, AUDIO_TRACK);
                }),
              ),
            ];
        return [...pictures, ...fades, ...audioTrack];
      });
      await Promise.all(saves);
      const joined = plans.length * 2 + runs.length;
      const reused = have.video.filter(Boolean).length + have.audio.filter(Boolean).length + have.fade.filter(Boolean).length;
      span.setAttributes({
        [ATTR.RENDER_PIECES_TOTAL]: joined,
        [ATTR.RENDER_PIECES_REUSED]: reused,
        [ATTR.RENDER_PIECES_ENCODER_RUNS]: encoderRuns,
      });

      const file = 'output.mp4';
      await writeFile(path.join(ctx.scratchDir, 'video.txt'), videoList(plans, pieces, cfg.fps));
      span.setAttribute(ATTR.RENDER_PIECES_TRACK_REUSED, trackReused);
      await withSpan('ffmpeg mux', {}, (s) =>
        runFfmpeg(ctx.scratchDir, muxArgs(file, total), signal, s, {
          onCpu: addCpu,
          onTime: (t) => report(PIECES_SHARE + (1 - PIECES_SHARE) * Math.min(1, t / total)),
        }),
      );
      await Promise.all(saves);
      const checked = await checkOutput(ctx.scratchDir, file, { frames, fps: cfg.fps }, signal).finally(() =>
        addCpu(takeChildrenCpuSeconds()),
      );
      report(1);
      await cache.evict();
      const wall = (performance.now() - started) / 1000;
      const speed = wall > 0 ? total / wall : null;
      recordOutputSeconds(total);
      span.setAttributes({
        [ATTR.RENDER_FFMPEG_EXIT_CODE]: 0,
        [ATTR.RENDER_OUTPUT_DURATION_SECONDS]: total,
        'render.encode.cpu_seconds': cpuSeconds,
      });
      if (speed !== null) span.setAttribute(ATTR.RENDER_FFMPEG_SPEED, speed);
      return {
        file: path.join(ctx.scratchDir, file),
        plannedSeconds: total,
        speed,
        cpuSeconds,
        checked,
        pieces: { total: joined, reused, encoderRuns },
      };
    }),
  );
}

/** The joined audio track's piece: the AAC run over the slides' WAVs, known by their keys. */
function trackRef(fingerprint: string, keys: DeckPieces, total: number): PieceRef {
  const inputs = { 'audio.txt': sha256(keys.slides.map((k) => k.audio.key).join(',')) };
  return {
    kind: 'track',
    key: pieceKey({ tool: 'ffmpeg', toolFingerprint: fingerprint, args: trackArgs(total), inputs, outputs: [AUDIO_TRACK] }),
  };
}

/** The joined audio track, AAC in M4A, made from the slides' WAVs. */
const AUDIO_TRACK = 'audio.m4a';

function trackArgs(total: number): string[] {
  return [
    ...COMMON_FLAGS,
    ...mediaInputArgs('audio.txt', 'concat'),
    '-map',
    '0:a',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-t',
    total.toFixed(6),
    AUDIO_TRACK,
  ];
}

function muxArgs(output: string, total: number): string[] {
  return [
    ...COMMON_FLAGS,
    '-progress',
    'pipe:1',
    ...mediaInputArgs('video.txt', 'concat'),
    ...mediaInputArgs(AUDIO_TRACK, 'mov'),
    '-map',
    '0:v',
    '-map',
    '1:a',
    '-c',
    'copy',
    '-t',
    total.toFixed(6),
    '-movflags',
    '+faststart',
    output,
  ];
}
