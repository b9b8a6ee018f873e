import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { FfmpegError } from '../shared/errors';
import { TtsError } from '../shared/errors';
import { InternalError } from '../shared/errors';
import { failedToolOutput, STDERR_TAIL_LINES, stderrTailLines } from './tool-output';

describe('stderrTailLines', () => {
  it('keeps the last lines, bounded in number and length', () => {
    const stderr = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const lines = stderrTailLines(stderr);
    assert.equal(lines.length, STDERR_TAIL_LINES);
    assert.equal(lines.at(-1), 'line 99');
    assert.equal(lines[0], `line ${100 - STDERR_TAIL_LINES}`);
    const long = stderrTailLines(`${'x'.repeat(5000)}\n`);
    assert.ok(long[0].length <= 301);
  });

  it("drops FFmpeg's input metadata blocks (uploaded media tags are user content) and control characters", () => {
    const stderr = [
      "Input #0, mp3, from 'slide-0-audio':",
      '  Metadata:',
      '    title           : CANARY-title',
      '    artist          : CANARY-artist',
      '  Duration: 00:00:01.00, start: 0.025057, bitrate: 32 kb/s',
      '  Stream #0:0: Audio: mp3, 22050 Hz, mono, fltp, 32 kb/s',
      '    Metadata:',
      '      encoder         : CANARY-encoder',
      '\x1b[1;31m[png @ 0x55] Invalid PNG signature 0x00.\x1b[0m\r',
      'Error while decoding stream #0:0: Invalid data found when processing input',
    ].join('\n');
    const lines = stderrTailLines(stderr);
    assert.ok(!lines.join('\n').includes('CANARY'), lines.join('\n'));
    assert.deepEqual(lines, [
      "Input #0, mp3, from 'slide-0-audio':",
      '  Duration: 00:00:01.00, start: 0.025057, bitrate: 32 kb/s',
      '  Stream #0:0: Audio: mp3, 22050 Hz, mono, fltp, 32 kb/s',
      '[png @ 0x55] Invalid PNG signature 0x00.',
      'Error while decoding stream #0:0: Invalid data found when processing input',
    ]);
  });
});

describe('failedToolOutput', () => {
  it('names the tool of FFmpeg and espeak-ng failures, nothing for other errors', () => {
    assert.deepEqual(failedToolOutput(new FfmpegError('ffmpeg failed with exit 1', 1, null, 'a\nb\n')), {
      tool: 'ffmpeg',
      lines: ['a', 'b'],
    });
    assert.deepEqual(failedToolOutput(new TtsError('espeak-ng failed', { stderrTail: 'no voice\n' })), {
      tool: 'espeak-ng',
      lines: ['no voice'],
    });
    assert.equal(failedToolOutput(new TtsError('espeak-ng failed')), undefined);
    assert.equal(failedToolOutput(new InternalError('bad')), undefined);
  });
});
