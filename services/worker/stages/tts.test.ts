import { test } from 'vitest';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ttsStage } from './tts';
import { probeMedia } from '../probe';
import { RenderError } from '../../shared/errors/render-error';
import { bareWork, deck, stageContext } from '../../../test/support/worker';

test('speaks narrations without audio into WAVs; text that looks like options stays text', { timeout: 30_000 }, async () => {
  const request = deck({
    slides: [{ title: 'one', narration: '--help -w /etc/passwd; hello there, this is a narration.' }, { title: 'two' }],
  });
  const { ctx, cleanup } = stageContext(request);
  try {
    const work = await ttsStage(ctx, bareWork(request));
    const wav = work[0].assets.audioPath;
    assert.ok(wav);
    assert.equal((await readFile(wav)).subarray(0, 4).toString('latin1'), 'RIFF');
    const probe = await probeMedia(wav);
    // Spoken words, not espeak-ng's help text: a sentence of ten words lasts a couple of seconds.
    assert.ok(probe.durationSeconds > 1, `narration lasted ${probe.durationSeconds}s`);
    assert.equal(work[1].assets.audioPath, null);
  } finally {
    cleanup();
  }
});

test('an unknown voice fails as TTS_FAILED', { timeout: 30_000 }, async () => {
  const request = deck({ slides: [{ title: 'one', narration: 'hello' }], config: { width: 320, height: 180, voice: 'zz-nope' } });
  const { ctx, cleanup } = stageContext(request);
  try {
    const err = await ttsStage(ctx, bareWork(request)).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RenderError);
    assert.equal(err.code, 'TTS_FAILED');
  } finally {
    cleanup();
  }
});
