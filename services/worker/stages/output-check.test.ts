import { test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OutputMismatchError } from '../../shared/errors';
import { checkOutput } from './output-check';

/** Writes a 12 fps MP4 of `frames` frames, with AAC audio unless `audio` is false. */
function makeVideo(dir: string, name: string, frames: number, audio = true): string {
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=s=160x90:r=12'],
    ...(audio ? ['-f', 'lavfi', '-i', `sine=r=48000:d=${frames / 12}`, '-c:a', 'aac'] : []),
    ...['-t', String(frames / 12), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', path.join(dir, name)],
  ]);
  return name;
}

async function failure(dir: string, file: string, frames: number): Promise<unknown> {
  return checkOutput(dir, file, { frames, fps: 12 }, new AbortController().signal).then(
    () => null,
    (e: unknown) => e,
  );
}

test('the output check passes the planned video and fails a wrong one as OUTPUT_MISMATCH, category ffmpeg', {
  timeout: 30_000,
}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-output-check-'));
  try {
    const good = makeVideo(dir, 'good.mp4', 24);
    const checked = await checkOutput(dir, good, { frames: 24, fps: 12 }, new AbortController().signal);
    assert.equal(checked.frames, 24);
    assert.ok(Math.abs(checked.videoSeconds - 2) <= 1 / 12);

    const short = await failure(dir, good, 25);
    assert.ok(short instanceof OutputMismatchError, String(short));
    assert.deepEqual([short.code, short.category, short.retryable], ['OUTPUT_MISMATCH', 'ffmpeg', false]);
    assert.match(short.message, /24 video frames, planned 25/);

    const silent = await failure(dir, makeVideo(dir, 'silent.mp4', 24, false), 24);
    assert.ok(silent instanceof OutputMismatchError);
    assert.match(silent.message, /audio stream is missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
