import { test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { AssetRejectedError } from '../../shared/errors';
import { bareWork, deck, stageContext } from '../../../test/support/worker';
import { checkDeckLength } from './deck-length';

function silentMp3(dir: string, seconds: number): string {
  const file = path.join(dir, `silence-${seconds}.mp3`);
  // 8 kHz mono at 8 kb/s: ten minutes of audio in well under a megabyte.
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', String(seconds), '-b:a', '8k', file]);
  return file;
}

test('a slide stretched past 600 s by its audio fails with DECK_TOO_LONG (validation) before encoding', { timeout: 30_000 }, async () => {
  const { ctx, cleanup } = stageContext(
    deck({
      slides: [
        { title: 'a', duration: 1 },
        { title: 'b', duration: 2 },
      ],
    }),
  );
  try {
    const work = bareWork(ctx.request);
    work[0].assets.audioPath = silentMp3(ctx.scratchDir, 3);
    work[0].assets.audioDemuxer = 'mp3';
    const seconds = await checkDeckLength(ctx, work);
    assert.ok(Math.abs(seconds[0] - 3) < 0.2 && seconds[1] === 2, String(seconds));
    work[1].assets.audioPath = silentMp3(ctx.scratchDir, 605);
    work[1].assets.audioDemuxer = 'mp3';
    const err = await checkDeckLength(ctx, work).catch((e: unknown) => e);
    assert.ok(err instanceof AssetRejectedError);
    assert.deepEqual([err.code, err.category, err.retryable], ['DECK_TOO_LONG', 'validation', false]);
    assert.match(err.message, /slide 1/);
  } finally {
    cleanup();
  }
});

test('a deck whose audio adds up to more than 2 h fails with DECK_TOO_LONG', { timeout: 60_000 }, async () => {
  const slides = Array.from({ length: 13 }, (_, i) => ({ title: `s${i}`, duration: 1 }));
  const { ctx, cleanup } = stageContext(deck({ slides }));
  try {
    const work = bareWork(ctx.request);
    const audio = silentMp3(ctx.scratchDir, 590);
    for (const w of work) Object.assign(w.assets, { audioPath: audio, audioDemuxer: 'mp3' });
    const err = await checkDeckLength(ctx, work).catch((e: unknown) => e);
    assert.ok(err instanceof AssetRejectedError);
    assert.equal(err.code, 'DECK_TOO_LONG');
    assert.match(err.message, /deck would last/);
  } finally {
    cleanup();
  }
});
