/**
 * The stage sequence of one attempt: fetch → tts → encode → store, each in a span named after it,
 * timed into `render_stage_duration_seconds`, with the record's `stage` updated as it enters.
 */
import type { Stage } from '../shared/job';
import { ATTR } from '../telemetry/attributes';
import { recordStageDuration } from '../telemetry/metrics';
import { withSpan } from '../telemetry/tracing';
import { throwIfAborted, type StageContext } from './stages/context';
import { fetchStage } from './stages/fetch';
import { ttsStage } from './stages/tts';
import { checkDeckLength } from './stages/deck-length';
import { encodeStage } from './stages/encode';
import { storeStage, type StoreResult } from './stages/store';
import type { SlideWork } from './stages/context';

/** What a successful pipeline run produced. */
export interface PipelineResult extends StoreResult {
  speed: number | null;
}

/** Hooks the runner gives the pipeline to keep the job record current. */
export interface PipelineHooks<S = never> {
  onStage(stage: Stage): Promise<void>;
  onProgress(stage: Stage, fraction: number): void;
  /**
   * Called once the deck's audio is known (after tts): a value other than null stops the pipeline
   * there and is returned (the runner hands the encode out as chunks of a split job).
   */
  split?(work: SlideWork[]): Promise<S | null>;
}

async function step<T, S>(ctx: StageContext, hooks: PipelineHooks<S>, stage: Stage, fn: () => Promise<T>): Promise<T> {
  throwIfAborted(ctx.signal);
  await hooks.onStage(stage);
  const started = performance.now();
  try {
    const result = await withSpan(`render ${stage}`, { [ATTR.RENDER_STAGE]: stage }, fn);
    hooks.onProgress(stage, 1);
    return result;
  } finally {
    recordStageDuration(stage, (performance.now() - started) / 1000);
  }
}

/** Runs every stage in order; throws whatever the failing stage threw. */
export async function runPipeline<S = never>(ctx: StageContext, hooks: PipelineHooks<S>): Promise<PipelineResult | { split: S }> {
  let work = await step(ctx, hooks, 'fetch', () => fetchStage(ctx));
  work = await step(ctx, hooks, 'tts', async () => {
    const spoken = await ttsStage(ctx, work);
    // Audio lengths are known only now: a deck over the limits fails here, before any encoding.
    await checkDeckLength(ctx, spoken);
    return spoken;
  });
  if (hooks.split) {
    throwIfAborted(ctx.signal);
    const split = await hooks.split(work);
    if (split !== null) return { split };
  }
  const encoded = await step(ctx, hooks, 'encode', () => encodeStage(ctx, work, (f) => hooks.onProgress('encode', f)));
  const stored = await step(ctx, hooks, 'store', () => storeStage(ctx, encoded.file, encoded.checked));
  return { ...stored, speed: encoded.speed };
}
