import { test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RenderRequest } from '../../shared/request';
import { PIECES_ROOT } from '../../storage/piece-names';
import type { StageContext } from './context';
import { encodeStage, type EncodeResult } from './encode';
import { ttsStage } from './tts';
import { bareWork, deck, stageContext } from '../../../test/support/worker';

/** Three fading slides, one narrated, small and fast. */
function threeSlides(middle = 'the middle slide'): RenderRequest {
  return deck({
    config: { width: 320, height: 180, fps: 12, quality: 'low', voice: 'en-us' },
    slides: [
      { title: 'first', content: 'one', duration: 2.5 },
      { title: 'second', content: middle, duration: 2.5, narration: 'two' },
      { title: 'third', content: 'three', duration: 2.5 },
    ],
  });
}

/** Renders `request` on `base`'s storage and config, in a fresh scratch dir. */
async function render(base: StageContext, request: RenderRequest, env?: Partial<StageContext>): Promise<EncodeResult> {
  const ctx: StageContext = { ...base, request, scratchDir: mkdtempSync(path.join(path.dirname(base.scratchDir), 'scratch-')), ...env };
  return encodeStage(ctx, await ttsStage(ctx, bareWork(request)));
}

/** FFmpeg's per-frame MD5s of the decoded video and audio (timestamps, sizes and hashes). */
function framemd5(file: string): string {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'framemd5', '-'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
}

async function pieceFiles(outputDir: string, kind: string): Promise<string[]> {
  const all = (await readdir(path.join(outputDir, PIECES_ROOT), { recursive: true })) as string[];
  return all.filter((f) => f.endsWith(`.${kind}`)).map((f) => path.join(outputDir, PIECES_ROOT, f));
}

test('a deck rendered again runs no encoder for any slide and its frames equal the cold render', { timeout: 120_000 }, async () => {
  const { ctx, cleanup } = stageContext(threeSlides());
  try {
    const cold = await render(ctx, threeSlides(), { config: { ...ctx.config, pieceCache: { maxBytes: 0, scope: 'client' } } });
    assert.equal(cold.pieces.reused, 0);
    const first = await render(ctx, threeSlides());
    assert.equal(first.pieces.reused, 0, 'the cache starts empty');
    const again = await render(ctx, threeSlides());
    // 3 static pieces, 3 WAVs, fade-in, two transitions, fade-out.
    assert.deepEqual(again.pieces, { total: 10, reused: 10, encoderRuns: 0 });
    assert.equal(framemd5(again.file), framemd5(cold.file));
    assert.equal(framemd5(first.file), framemd5(cold.file));
    assert.deepEqual(again.checked, cold.checked, 'same frame count and stream durations');
  } finally {
    cleanup();
  }
});

test("one slide's text changed re-encodes only that slide's static piece and the two fades touching it", { timeout: 120_000 }, async () => {
  const { ctx, cleanup } = stageContext(threeSlides());
  try {
    await render(ctx, threeSlides());
    const edited = threeSlides('the middle slide, with a typo fixed');
    const partial = await render(ctx, edited);
    // Slide 1's static piece and the transitions 0→1 and 1→2; its WAV (same narration) and all else reused.
    assert.deepEqual(partial.pieces, { total: 10, reused: 7, encoderRuns: 3 });
    const cold = await render(ctx, edited, { config: { ...ctx.config, pieceCache: { maxBytes: 0, scope: 'client' } } });
    assert.equal(framemd5(partial.file), framemd5(cold.file));
    assert.notEqual(framemd5(partial.file), framemd5((await render(ctx, threeSlides())).file), 'the edit is in the video');
  } finally {
    cleanup();
  }
});

test('a corrupt or truncated piece on disk is detected on read, rebuilt, and the video is still right', { timeout: 120_000 }, async () => {
  const { ctx, config, cleanup } = stageContext(threeSlides());
  try {
    const cold = await render(ctx, threeSlides());
    const [statics, fades] = [await pieceFiles(config.outputDir, 'static'), await pieceFiles(config.outputDir, 'fade')];
    assert.equal(statics.length, 3);
    const flipped = await readFile(statics[0]);
    flipped[flipped.length - 10] ^= 0xff;
    await writeFile(statics[0], flipped);
    await truncate(fades[0], (await readFile(fades[0])).length - 100);
    const healed = await render(ctx, threeSlides());
    assert.deepEqual(healed.pieces, { total: 10, reused: 8, encoderRuns: 2 }, 'the two damaged pieces were made again');
    assert.equal(framemd5(healed.file), framemd5(cold.file));
    const again = await render(ctx, threeSlides());
    assert.equal(again.pieces.reused, 10, 'the rebuilt pieces were stored again');
  } finally {
    cleanup();
  }
});

test("pieces are another client's only with RENDER_PIECE_CACHE_SCOPE=shared", { timeout: 120_000 }, async () => {
  const { ctx, cleanup } = stageContext(threeSlides());
  try {
    await render(ctx, threeSlides(), { client: 'alice' });
    assert.equal((await render(ctx, threeSlides(), { client: 'bob' })).pieces.reused, 0, "bob never sees alice's pieces");
    assert.equal((await render(ctx, threeSlides(), { client: 'alice' })).pieces.reused, 10);
    const shared = { config: { ...ctx.config, pieceCache: { maxBytes: ctx.config.pieceCache.maxBytes, scope: 'shared' as const } } };
    await render(ctx, threeSlides(), { ...shared, client: 'alice' });
    assert.equal((await render(ctx, threeSlides(), { ...shared, client: 'bob' })).pieces.reused, 10);
  } finally {
    cleanup();
  }
});
