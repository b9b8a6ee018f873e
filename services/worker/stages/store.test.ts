import { test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { outputUrl, storeStage } from './store';
import { RenderError } from '../../shared/errors/render-error';
import { deck, stageContext } from '../test-support';
import { createLocalStorage } from '../../storage/local';

test('a file that is not a video is refused before anything is stored', { timeout: 30_000 }, async () => {
  const { ctx, config, cleanup } = stageContext(deck({ slides: [{ title: 'a' }] }));
  try {
    const junk = path.join(ctx.scratchDir, 'junk.mp4');
    writeFileSync(junk, 'not a video');
    const err = await storeStage(ctx, junk).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RenderError);
    assert.equal(err.category, 'ffmpeg');
    assert.equal(existsSync(config.outputDir) ? readdirSync(config.outputDir).length : 0, 0);
  } finally {
    cleanup();
  }
});

function tinyMp4(dir: string): string {
  const file = path.join(dir, 'output.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=s=64x48:d=1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', file]);
  return file;
}

test('stores the verified video under the attempt key and describes it from ffprobe', { timeout: 30_000 }, async () => {
  const { ctx, config, cleanup } = stageContext(deck({ slides: [{ title: 'a' }] }));
  try {
    const encoded = tinyMp4(ctx.scratchDir);
    const bytes = statSync(encoded).size;
    const result = await storeStage(ctx, encoded);
    assert.match(result.outputKey, /^job-test\.a1-[0-9a-f]{12}\.mp4$/);
    assert.equal(existsSync(encoded), false, 'the local adapter moves the scratch file instead of copying it');
    assert.deepEqual(readdirSync(config.outputDir), [result.outputKey], 'no temp file left behind');
    assert.equal(result.output.url, '/api/jobs/job-test/output');
    assert.equal(result.output.bytes, bytes);
    assert.equal(statSync(path.join(config.outputDir, result.outputKey)).size, bytes);
    assert.deepEqual([result.output.width, result.output.height], [64, 48]);
    assert.ok(Math.abs(result.output.durationSeconds - 1) < 0.1);
  } finally {
    cleanup();
  }
});

test('an output dir that cannot be created fails in the storage category', { timeout: 30_000 }, async () => {
  const { ctx, cleanup } = stageContext(deck({ slides: [{ title: 'a' }] }));
  try {
    const blocker = path.join(ctx.scratchDir, 'blocker');
    writeFileSync(blocker, 'a file where a directory should be');
    const bad = { ...ctx, storage: createLocalStorage(path.join(blocker, 'outputs')) };
    const err = await storeStage(bad, tinyMp4(ctx.scratchDir)).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RenderError);
    assert.deepEqual([err.code, err.category], ['STORAGE_FAILED', 'storage']);
  } finally {
    cleanup();
  }
});

test('output URLs are relative, or absolute under PUBLIC_URL', () => {
  assert.equal(outputUrl('a b'), '/api/jobs/a%20b/output');
  assert.equal(outputUrl('id', 'https://render.example.com/'), 'https://render.example.com/api/jobs/id/output');
});
