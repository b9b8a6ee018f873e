/**
 * The deck's effective length, checked once fetch and tts are done and before any encoding: a
 * slide lasts as long as its audio when that is longer than its `duration`, so a deck within the
 * limits at submit can exceed them once its audio is known. Over them, the job fails at once
 * (category validation) instead of after hours of encoding.
 */
import { AssetRejectedError } from '../../shared/errors';
import { LIMITS } from '../../shared/request';
import { probeMedia } from '../probe';
import type { SlideWork, StageContext } from './context';

/** Seconds each slide will last; throws DECK_TOO_LONG when a slide or the whole deck is over the limits. */
export async function checkDeckLength(ctx: StageContext, work: SlideWork[]): Promise<number[]> {
  const seconds: number[] = [];
  for (const item of work) {
    let s = item.slide.duration;
    if (item.assets.audioPath) {
      const probe = await probeMedia(item.assets.audioPath, ctx.signal, { demuxer: item.assets.audioDemuxer });
      s = Math.max(s, probe.durationSeconds);
    }
    if (s > LIMITS.maxSlideSeconds) {
      throw new AssetRejectedError(
        'DECK_TOO_LONG',
        `slide ${item.index} would last ${s.toFixed(1)} s with its audio; a slide may last at most ${LIMITS.maxSlideSeconds} s`,
      );
    }
    seconds.push(s);
  }
  const total = seconds.reduce((a, b) => a + b, 0);
  if (total > LIMITS.maxTotalSeconds) {
    throw new AssetRejectedError(
      'DECK_TOO_LONG',
      `the deck would last ${total.toFixed(1)} s with its audio; a deck may last at most ${LIMITS.maxTotalSeconds} s`,
    );
  }
  return seconds;
}
