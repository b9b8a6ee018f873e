import { test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hlsPlaylist } from '../../test/support/hostile-media';
import { runChild } from './child';
import { mediaInputArgs } from './media-input';
import { probeMedia } from './probe';
import { listenCanary } from '../../test/support/worker';

test('with -protocol_whitelist file,pipe FFmpeg never follows a playlist to the network; with network protocols allowed, it would', {
  timeout: 30_000,
}, async () => {
  const canary = (await listenCanary())!;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-media-input-'));
  const playlist = path.join(dir, 'list.m3u8');
  writeFileSync(playlist, hlsPlaylist(`http://127.0.0.1:${canary.port}/seg.ts`));
  try {
    // Even letting FFmpeg guess the format (HLS), the whitelist stops it.
    const guarded = await runChild('ffmpeg', ['-v', 'error', '-nostdin', ...mediaInputArgs(playlist), '-f', 'null', '-'], { cwd: dir });
    assert.notEqual(guarded.exitCode, 0);
    await assert.rejects(probeMedia(playlist), /ffprobe failed/);
    assert.equal(canary.hits(), 0, 'nothing was fetched through the guarded runs');
    // Control, to prove the canary would notice: with network protocols let through, the same playlist does reach it.
    await runChild('ffprobe', ['-v', 'error', '-rw_timeout', '2000000', '-protocol_whitelist', 'file,http,tcp', playlist], { cwd: dir });
    assert.ok(canary.hits() > 0, 'a permissive ffprobe follows the playlist');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await canary.close();
  }
});

test('mediaInputArgs puts the whitelist and the forced demuxer before -i', () => {
  assert.deepEqual(mediaInputArgs('a.png', 'png_pipe', ['-loop', '1']), [
    '-protocol_whitelist',
    'file,pipe',
    '-f',
    'png_pipe',
    '-loop',
    '1',
    '-i',
    'a.png',
  ]);
});
