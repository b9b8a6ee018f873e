import { test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { RenderRequest } from '../../shared/request';
import type { SlideWork } from '../stages/context';
import { fadeRuns, planSegments } from '../stages/encode';
import { PIECE_THREADS } from '../stages/encode-slots';
import { planPieceKeys, type DeckPieces } from '../stages/piece-plan';
import { slidePieces } from '../stages/slide-pieces';
import { drawFilters } from '../stages/slide-segment';
import { espeakCommand } from '../stages/tts';
import { deck } from '../../../test/support/worker';
import { pieceKey, type PieceCommand } from './piece-key';

const name = fc.stringMatching(/^[a-z]{3,8}\.(txt|png|wav)$/);

test('a command key: renaming its files changes nothing; any argument, input byte hash or tool build changes it', () => {
  fc.assert(
    fc.property(
      fc.array(fc.stringMatching(/^[-a-z0-9=:]{1,12}$/), { minLength: 1, maxLength: 8 }),
      fc.uniqueArray(name, { minLength: 2, maxLength: 4 }),
      fc.stringMatching(/^[0-9a-f]{8}$/),
      (args, [input, output, ...rest], digest) => {
        const command = (inName: string, outName: string, over: Partial<PieceCommand> = {}): PieceCommand => ({
          tool: 'ffmpeg',
          toolFingerprint: 'build-1',
          args: ['-i', inName, ...args, `filter=textfile=${inName}:x`, outName],
          inputs: { [inName]: digest },
          outputs: [outName],
          ...over,
        });
        const base = pieceKey(command(input, output));
        const renamed = rest[0] ?? `z${input}`;
        assert.equal(pieceKey(command(`dir-${renamed}`, `other-${output}`)), base, 'file names are not content');
        assert.notEqual(pieceKey(command(input, output, { inputs: { [input]: `${digest}0` } })), base, 'input bytes');
        assert.notEqual(pieceKey(command(input, output, { toolFingerprint: 'build-2' })), base, 'FFmpeg build');
        assert.notEqual(pieceKey(command(input, output, { args: [...command(input, output).args, '-crf', '23'] })), base, 'arguments');
      },
    ),
    { numRuns: 200 },
  );
});

test('narration keys follow the text, the voice and espeak-ng, not the scratch dir or the slide', () => {
  const key = (fp: string, voice: string, dir: string, index: number, text: string) =>
    pieceKey(espeakCommand(fp, voice, `${dir}/slide-${index}-tts.wav`, `${dir}/slide-${index}-narration.txt`, text));
  const base = key('espeak-1', 'en-us', '/tmp/a', 0, 'hello');
  assert.equal(key('espeak-1', 'en-us', '/tmp/b', 7, 'hello'), base);
  assert.notEqual(key('espeak-1', 'en-us', '/tmp/a', 0, 'hello!'), base);
  assert.notEqual(key('espeak-1', 'pt-br', '/tmp/a', 0, 'hello'), base);
  assert.notEqual(key('espeak-2', 'en-us', '/tmp/a', 0, 'hello'), base);
});

/** The keys of `request`'s pieces, planned in a fresh scratch dir; `images` puts an image file on slides. */
async function keysOf(request: RenderRequest, images: Record<number, string> = {}): Promise<DeckPieces> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-piece-key-'));
  try {
    const cfg = request.config;
    const work: SlideWork[] = request.slides.map((slide, index) => {
      let imagePath: string | null = null;
      if (images[index]) {
        // Named after a URL of its own: only the bytes may count.
        imagePath = path.join(dir, `slide-${index}-image-from-${Math.random().toString(36).slice(2)}`);
        copyFileSync(images[index], imagePath);
      }
      return { slide, index, assets: { imagePath, audioPath: null, imageDemuxer: imagePath ? 'png_pipe' : undefined } };
    });
    const plans = planSegments(
      request.slides.map((s) => s.duration),
      cfg.fps,
    );
    const pieces = plans.map((p) => slidePieces(p.frames, cfg.fps, request.slides[p.index].transition === 'fade'));
    const draws = await Promise.all(plans.map((p) => drawFilters(dir, work[p.index], p.index, cfg)));
    return await planPieceKeys(dir, work, plans, pieces, fadeRuns(plans, pieces), cfg, PIECE_THREADS, draws);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const slides = (over: Record<string, unknown> = {}) => [
  { title: 'one', content: 'first', duration: 2 },
  { title: 'two', content: 'second', duration: 2, ...over },
  { title: 'three', content: 'third', duration: 2 },
];
const video = (k: DeckPieces) => k.slides.map((s) => s.video.key);
const stills = (k: DeckPieces) => k.slides.map((s) => s.still?.key);
const audio = (k: DeckPieces) => k.slides.map((s) => s.audio.key);

test("a slide's text changes its own picture pieces and the fades that read its still, nothing else", { timeout: 60_000 }, async () => {
  const base = await keysOf(deck({ slides: slides() }));
  for (const over of [{ title: 'two!' }, { content: 'second, edited' }]) {
    const edited = await keysOf(deck({ slides: slides(over) }));
    assert.deepEqual(
      video(edited).map((k, i) => k === video(base)[i]),
      [true, false, true],
    );
    assert.deepEqual(
      stills(edited).map((k, i) => k === stills(base)[i]),
      [true, false, true],
    );
    assert.deepEqual(audio(edited), audio(base), 'the WAVs do not depend on the text');
    // Fade runs: slide 0's fade-in, transitions 0→1 and 1→2, slide 2's fade-out.
    assert.deepEqual(
      edited.fades.map((f, i) => f.key === base.fades[i].key),
      [true, false, false, true],
    );
  }
});

test('size, fps and quality change every picture key; the slide index and scratch dir change none', { timeout: 60_000 }, async () => {
  const base = await keysOf(deck({ slides: slides() }));
  for (const config of [
    { width: 320, height: 240, fps: 12, quality: 'low', voice: 'en-us' },
    { width: 320, height: 180, fps: 15, quality: 'low', voice: 'en-us' },
    { width: 320, height: 180, fps: 12, quality: 'high', voice: 'en-us' },
  ]) {
    const other = await keysOf(deck({ slides: slides(), config }));
    for (const [i, k] of video(other).entries()) assert.notEqual(k, video(base)[i], JSON.stringify(config));
  }
  // The same slides after a new first slide: same pieces, at other indices (fade-ins and transitions aside).
  const shifted = await keysOf(deck({ slides: [{ title: 'intro', duration: 2 }, ...slides()] }));
  assert.deepEqual(video(shifted).slice(1), video(base));
  assert.deepEqual(stills(shifted).slice(1), stills(base));
  assert.deepEqual((await keysOf(deck({ slides: slides() }))).fades, base.fades, 'a second planning, another scratch dir');
});

test('an image counts by its bytes, never by its file name or URL', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-piece-img-'));
  try {
    const png = (color: string) => {
      const file = path.join(dir, `${color}.png`);
      execFileSync('ffmpeg', [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        `color=c=${color}:s=64x36`,
        '-frames:v',
        '1',
        '-c:v',
        'png',
        '-f',
        'image2',
        file,
      ]);
      return file;
    };
    const [red, blue] = [png('red'), png('blue')];
    const a = await keysOf(deck({ slides: slides() }), { 1: red });
    const b = await keysOf(deck({ slides: slides() }), { 1: red });
    const c = await keysOf(deck({ slides: slides() }), { 1: blue });
    assert.deepEqual(video(a), video(b));
    assert.notEqual(video(c)[1], video(a)[1]);
    assert.equal(video(c)[0], video(a)[0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
