import { test } from 'vitest';
import assert from 'node:assert/strict';
import { installedVoices, parseVoiceList, voiceProblem } from './voices';
import { renderRequestSchema } from '../shared/request';

test('parses the language column and the other languages of espeak-ng --voices', () => {
  const voices = parseVoiceList(
    'Pty Language       Age/Gender VoiceName          File                 Other Languages\n' +
      ' 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)\n' +
      ' 5  pt-br           --/M      Portuguese_(Brazil) roa/pt-BR            (pt 6)\n',
  );
  assert.deepEqual([...voices].sort(), ['en', 'en-us', 'pt', 'pt-br']);
});

test('the real espeak-ng knows the default voice and not a made-up one', { timeout: 10_000 }, async () => {
  const voices = await installedVoices();
  assert.ok(voices, 'espeak-ng is installed by make test');
  assert.ok(voices.has('pt-br') && voices.has('en-us'));
  assert.equal(voices.has('zz-nope'), false);
});

test('only decks that narrate with an unknown voice are refused', { timeout: 10_000 }, async () => {
  const deck = (voice: string, slide: Record<string, unknown>) =>
    renderRequestSchema.parse({ title: 't', slides: [slide], config: { voice } });
  assert.equal(await voiceProblem(deck('pt-br', { narration: 'olá' })), null);
  assert.equal(await voiceProblem(deck('zz-nope', { title: 'silent' })), null, 'no narration: the voice is never used');
  assert.equal(await voiceProblem(deck('zz-nope', { narration: 'hi', audioUrl: 'http://127.0.0.1:9/a.mp3' })), null, 'its own audio wins');
  assert.deepEqual(await voiceProblem(deck('zz-nope', { narration: 'hi' })), {
    path: 'config.voice',
    message: 'unknown espeak-ng voice "zz-nope" (see `espeak-ng --voices`, e.g. pt-br, en-us)',
  });
});
