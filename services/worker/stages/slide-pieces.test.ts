import { test } from 'vitest';
import assert from 'node:assert/strict';
import { outpointSeconds, piecesFrames, slidePieces, STATIC_GOP_SECONDS } from './slide-pieces';

test('the pieces of a slide add up to its frames exactly, for every length, rate and transition', () => {
  for (const fps of [1, 12, 24, 25, 29.97, 30, 60]) {
    for (let frames = 1; frames <= 700; frames += frames < 40 ? 1 : 37) {
      for (const fade of [true, false]) {
        const p = slidePieces(frames, Math.round(fps), fade);
        const at = `${frames} frames at ${fps} fps, fade ${fade}`;
        assert.equal(piecesFrames(p), frames, at);
        assert.ok(p.gop >= 1 && p.repeats >= 1, at);
        assert.ok(p.remainder < p.gop, at);
        assert.equal(p.fadeIn, p.fadeOut, at);
        if (!fade) assert.equal(p.fadeIn, 0, at);
        // A static piece is one GOP of at least STATIC_GOP_SECONDS, unless the whole static stretch is shorter.
        const still = frames - p.fadeIn - p.fadeOut;
        assert.ok(p.gop === still || p.gop >= STATIC_GOP_SECONDS * Math.round(fps), at);
      }
    }
  }
});

test('a 10 s slide at 30 fps fades 15 frames each way and repeats a 2 s static GOP, the last copy cut', () => {
  assert.deepEqual(slidePieces(300, 30, true), { fadeIn: 15, fadeOut: 15, gop: 60, repeats: 4, remainder: 30 });
  assert.deepEqual(slidePieces(300, 30, false), { fadeIn: 0, fadeOut: 0, gop: 60, repeats: 5, remainder: 0 });
  // A short slide fades for a quarter of its length each way.
  assert.deepEqual(slidePieces(24, 24, true), { fadeIn: 6, fadeOut: 6, gop: 12, repeats: 1, remainder: 0 });
});

test('the outpoint keeps exactly n frames: past frame n−1, not past frame n', () => {
  for (const fps of [1, 10, 24, 25, 30, 50, 60]) {
    for (let n = 1; n <= 3 * fps; n++) {
      const out = Number(outpointSeconds(n, fps));
      assert.ok(out > (n - 1) / fps && out <= n / fps, `${n} frames at ${fps} fps: outpoint ${out}`);
    }
  }
});
