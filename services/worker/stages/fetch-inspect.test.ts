/** The fetch stage's inspection of real media: each accepted format gets its forced demuxer, and the deck then encodes with them. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { probeMedia } from '../probe';
import { deck, stageContext, serveHttp } from '../../../test/support/worker';
import { encodeStage } from './encode';
import { fetchStage } from './fetch';

function make(dir: string, name: string, args: string[]): Buffer {
  const file = path.join(dir, name);
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args, file]);
  return readFileSync(file);
}

test('PNG, JPEG and WebP images and mp3, wav, ogg, flac, m4a audio are accepted with their demuxers, and render', {
  timeout: 90_000,
}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-media-'));
  const img = ['-f', 'lavfi', '-i', 'testsrc=s=64x36:d=1', '-frames:v', '1'];
  const snd = ['-f', 'lavfi', '-i', 'sine=f=440:d=0.6'];
  const files: Record<string, [string, Buffer]> = {
    '/a.png': ['image/png', make(dir, 'a.png', img)],
    '/a.jpg': ['image/jpeg', make(dir, 'a.jpg', img)],
    '/a.webp': ['image/webp', make(dir, 'a.webp', [...img, '-c:v', 'libwebp'])],
    '/a.mp3': ['audio/mpeg', make(dir, 'a.mp3', snd)],
    '/a.wav': ['audio/wav', make(dir, 'a.wav', snd)],
    '/a.ogg': ['audio/ogg', make(dir, 'a.ogg', [...snd, '-c:a', 'libvorbis'])],
    '/a.flac': ['audio/flac', make(dir, 'a.flac', snd)],
    '/a.m4a': ['audio/mp4', make(dir, 'a.m4a', [...snd, '-c:a', 'aac'])],
  };
  const server = await serveHttp((req, res) => {
    const f = files[req.url ?? ''];
    if (!f) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': f[0] }).end(f[1]);
  });
  const pairs: [string, string, string, string][] = [
    ['/a.png', '/a.mp3', 'png_pipe', 'mp3'],
    ['/a.jpg', '/a.wav', 'jpeg_pipe', 'wav'],
    ['/a.webp', '/a.ogg', 'webp_pipe', 'ogg'],
    ['/a.png', '/a.flac', 'png_pipe', 'flac'],
    ['/a.jpg', '/a.m4a', 'jpeg_pipe', 'mov'],
  ];
  const slides = pairs.map(([image, audio]) => ({
    title: 't',
    duration: 0.5,
    transition: 'none',
    imageUrl: `${server.url}${image}`,
    audioUrl: `${server.url}${audio}`,
  }));
  const { ctx, cleanup } = stageContext(deck({ slides, config: { width: 160, height: 90, fps: 5, quality: 'low', voice: 'en-us' } }));
  try {
    const work = await fetchStage(ctx);
    assert.deepEqual(
      work.map((w) => [w.assets.imageDemuxer, w.assets.audioDemuxer]),
      pairs.map(([, , i, a]) => [i, a]),
    );
    const encoded = await encodeStage(ctx, work);
    const probe = await probeMedia(encoded.file);
    assert.equal(probe.width, 160);
    assert.ok(probe.durationSeconds > 2.5, String(probe.durationSeconds));
  } finally {
    cleanup();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
