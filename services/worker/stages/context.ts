/**
 * What every pipeline stage receives, and the one helper that gives a stage its time limit: the
 * stage sees a single AbortSignal that fires on cancel, shutdown or timeout, and the helper turns
 * the timeout case into a StageTimeoutError so the runner can tell them apart.
 */
import type { StageConfig } from '../../shared/config';
import type { RenderRequest, Slide } from '../../shared/request';
import type { Logger } from '../../telemetry/logger';
import type { OutputStorage } from '../../storage/contract';
import type { OutboundClient } from '../../shared/outbound-client';
import type { PieceRef } from '../pieces/piece-cache';
import { JobCancelledError, StageTimeoutError } from '../../shared/errors';

/** Local files a slide ends up with after fetch and tts. */
export interface SlideAssets {
  imagePath: string | null;
  audioPath: string | null;
  /** The demuxer the fetch stage's probe chose from the allowlist; FFmpeg is forced to it (media-input.ts). */
  imageDemuxer?: string;
  audioDemuxer?: string;
  /** The piece-cache key of `audioPath` when the tts stage spoke it (the cache keeps the job's list of pieces). */
  audioPiece?: PieceRef;
}

/** Shared inputs of every stage of one attempt. */
export interface StageContext {
  jobId: string;
  /** The job's client: whose pieces this render may reuse (RENDER_PIECE_CACHE_SCOPE); `anonymous` when absent. */
  client?: string;
  /** 1-based attempt number; the store stage names this attempt's object after it. */
  attempt: number;
  /** Where finished videos go (local directory or object storage). */
  storage: OutputStorage;
  request: RenderRequest;
  /** The slice of the config the stages read. */
  config: StageConfig;
  /** Per-attempt directory, removed by the runner afterwards. */
  scratchDir: string;
  signal: AbortSignal;
  logger: Logger;
  /** The outbound HTTP client for assets; the config's shared one when absent. @testSeam outbound-resolver */
  outbound?: OutboundClient;
}

/** The slides and their local assets, built up by fetch and tts. */
export type SlideWork = { slide: Slide; index: number; assets: SlideAssets };

/** Throws the right error when `signal` has fired: the timeout or the job's own abort. */
export function throwIfAborted(signal: AbortSignal): void {
  if (!signal.aborted) return;
  const reason: unknown = signal.reason;
  if (reason instanceof Error) throw reason;
  throw new JobCancelledError();
}

/**
 * Runs `fn` with a signal that also fires after `timeoutMs`; if the timer fired (and the job's own
 * signal did not), the failure is a StageTimeoutError whatever `fn` threw while being torn down.
 */
export async function withStageTimeout<T>(
  stage: string,
  timeoutMs: number,
  parent: AbortSignal,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timer = new AbortController();
  const timeoutError = new StageTimeoutError(stage, timeoutMs);
  const handle = setTimeout(() => timer.abort(timeoutError), timeoutMs);
  const signal = AbortSignal.any([parent, timer.signal]);
  try {
    return await fn(signal);
  } catch (err) {
    if (timer.signal.aborted && !parent.aborted) throw timeoutError;
    throw err;
  } finally {
    clearTimeout(handle);
  }
}
