/**
 * One chunk of a split job (Redis layout): the pieces of a run of slides, encoded into the piece
 * cache with exactly the commands the job's own encode stage would run (same frame plan from every
 * slide's length, same keys), so the job's join, on whichever worker, finds them there. A chunk
 * makes every fade that starts on one of its slides, the transition into the next chunk's first
 * slide too (for which it draws that slide's still: the caller fetched that slide as well), so the
 * join has only the audio track and the stream copy left. A piece the cache already holds is not
 * made again; whatever a chunk failed to make, the join makes.
 */
import path from 'node:path';
import { ANONYMOUS_CLIENT } from '../../shared/job';
import { ATTR } from '../../telemetry/attributes';
import { withSpan } from '../../telemetry/tracing';
import { pieceCacheFor, type PieceRef } from '../pieces/piece-cache';
import { throwIfAborted, withStageTimeout, type SlideWork, type StageContext } from './context';
import { fadeRuns, planSegments } from './encode';
import { encodeSlots, memoryLimitBytes } from './encode-slots';
import { runFfmpeg } from './ffmpeg-run';
import { planPieceKeys } from './piece-plan';
import { runAll } from './run-pool';
import { slidePieces } from './slide-pieces';
import { drawFilters, fadeArgs, pictureArgs } from './slide-segment';

/** What a chunk did: pieces it encoded, and pieces it found in the cache already. */
export interface ChunkResult {
  encoded: number;
  reused: number;
}

/** Encodes slides `first` … `first + count - 1` of `work` (every slide's length in `seconds`) into the piece cache. */
export async function encodeChunk(
  ctx: StageContext,
  work: SlideWork[],
  chunk: { first: number; count: number; seconds: number[] },
): Promise<ChunkResult> {
  const settings = ctx.config.pieceCache;
  if (!settings || settings.maxBytes <= 0) return { encoded: 0, reused: 0 };
  const cache = pieceCacheFor(
    ctx.storage,
    { ...settings, minFreeBytes: ctx.config.minFreeBytes },
    ctx.client ?? ANONYMOUS_CLIENT,
    ctx.logger,
  );
  return withStageTimeout('encode', ctx.config.timeouts.encode, ctx.signal, async (signal) => {
    const cfg = ctx.request.config;
    const plans = planSegments(chunk.seconds, cfg.fps);
    const pieces = plans.map((p) => slidePieces(p.frames, cfg.fps, work[p.index].slide.transition === 'fade'));
    const slots = encodeSlots(ctx.config.encodeParallelism, cfg.width, cfg.height, memoryLimitBytes(ctx.config.memoryLimitBytes));
    const draws = await Promise.all(plans.map((p) => drawFilters(ctx.scratchDir, work[p.index], p.index, cfg)));
    const runs = fadeRuns(plans, pieces);
    const keys = await planPieceKeys(ctx.scratchDir, work, plans, pieces, runs, cfg, slots.threads, draws);
    const inChunk = (i: number) => i >= chunk.first && i < chunk.first + chunk.count;
    const at = (name: string) => path.join(ctx.scratchDir, name);
    const mine = plans.filter((p) => inChunk(p.index));
    const myFades = runs.flatMap((run, i) => (inChunk(run.parts[0].plan.index) ? [{ run, ref: keys.fades[i] }] : []));
    // The next chunk's first slide, when a transition of this chunk reads its still.
    const borrowed = myFades.flatMap((f) => f.run.parts.filter((part) => !inChunk(part.plan.index)).map((part) => part.plan));
    let encoded = 0;
    let reused = 0;
    const restore = async (ref: PieceRef | null, file: string) => {
      if (!ref) return true;
      const hit = await cache.restore(ref, at(file));
      if (hit) reused++;
      return hit;
    };
    const fadeHave = await Promise.all(myFades.map((f) => restore(f.ref, f.run.file)));
    // A still is wanted when a fade of this chunk is to be made, or a transition the join makes reads it.
    const stillWanted = new Set(mine.filter((p) => keys.slides[p.index].still !== null).map((p) => p.index));
    await runAll(signal, slots.runs, (limit, taskSignal) => {
      const pictures = new Map<number, Promise<void>>();
      for (const plan of mine) {
        const i = plan.index;
        const k = keys.slides[i];
        pictures.set(
          i,
          (async () => {
            const want = {
              video: !(await restore(k.video, plan.video)),
              audio: !(await restore(k.audio, plan.audio)),
              still: stillWanted.has(i) && !(await restore(k.still, plan.still)),
            };
            if (!want.video && !want.audio && !want.still) return;
            await limit(() =>
              withSpan('ffmpeg slide picture', { [ATTR.RENDER_SLIDE_INDEX]: i }, async (s) => {
                throwIfAborted(taskSignal);
                await runFfmpeg(
                  ctx.scratchDir,
                  await pictureArgs(work[i], plan, pieces[i], cfg, slots.threads, draws[i], want),
                  taskSignal,
                  s,
                );
              }),
            );
            const saved: Promise<void>[] = [];
            if (want.video) saved.push(cache.save(k.video, at(plan.video)));
            if (want.audio) saved.push(cache.save(k.audio, at(plan.audio)));
            if (want.still && k.still) saved.push(cache.save(k.still, at(plan.still)));
            encoded += saved.length;
            await Promise.all(saved);
          })(),
        );
      }
      for (const plan of borrowed) {
        const still = keys.slides[plan.index].still;
        pictures.set(
          plan.index,
          (async () => {
            if (!still || (await restore(still, plan.still))) return;
            const want = { video: false, audio: false, still: true };
            await limit(() =>
              withSpan('ffmpeg slide still', { [ATTR.RENDER_SLIDE_INDEX]: plan.index }, async (s) => {
                throwIfAborted(taskSignal);
                const args = await pictureArgs(work[plan.index], plan, pieces[plan.index], cfg, slots.threads, draws[plan.index], want);
                await runFfmpeg(ctx.scratchDir, args, taskSignal, s);
              }),
            );
            await cache.save(still, at(plan.still));
            encoded++;
          })(),
        );
      }
      const fades = myFades.map(async (f, n) => {
        if (fadeHave[n]) return;
        await Promise.all(f.run.parts.map((part) => pictures.get(part.plan.index)));
        await limit(() =>
          withSpan('ffmpeg fade', { [ATTR.RENDER_SLIDE_INDEX]: f.run.parts[0].plan.index }, async (s) => {
            throwIfAborted(taskSignal);
            await runFfmpeg(ctx.scratchDir, fadeArgs(f.run.parts, f.run.file, cfg, slots.threads), taskSignal, s);
          }),
        );
        await cache.save(f.ref, at(f.run.file));
        encoded++;
      });
      return [...pictures.values(), ...fades];
    });
    return { encoded, reused };
  });
}
