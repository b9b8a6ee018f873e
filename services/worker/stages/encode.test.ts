import { test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeStage, fadeRuns, planSegments, videoList } from './encode';
import { slidePieces } from './slide-pieces';
import { ttsStage } from './tts';
import { probeMedia } from '../probe';
import { FfmpegError, RenderError } from '../../shared/errors';
import { bareWork, deck, processAlive, stageContext } from '../../../test/support/worker';

const HOSTILE = "'; rm -rf / %{pts} \\ : [x] ,;";

test('renders H.264/AAC MP4 of the requested size whose length is the sum of the slides, narration stretching its slide', {
  timeout: 90_000,
}, async () => {
  const request = deck({
    config: { width: 320, height: 240, fps: 12, quality: 'low', voice: 'en-us' },
    slides: [
      { title: HOSTILE, content: `content with %{eif:1+1:d} and ${HOSTILE}`, duration: 1.3 },
      {
        title: 'narrated',
        narration: 'This narration is clearly longer than the single second this slide asks for.',
        duration: 1,
        transition: 'none',
      },
      { title: 'image', duration: 0.7 },
    ],
  });
  const { ctx, cleanup } = stageContext(request);
  try {
    const image = path.join(ctx.scratchDir, 'slide-2-image');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=s=160x90',
      '-frames:v',
      '1',
      '-f',
      'image2',
      '-c:v',
      'png',
      image,
    ]);
    const work = await ttsStage(ctx, bareWork(request));
    work[2].assets.imagePath = image;
    const narration = (await probeMedia(work[1].assets.audioPath as string)).durationSeconds;
    assert.ok(narration > 2, `narration is ${narration}s`);
    const progress: number[] = [];
    const result = await encodeStage(ctx, work, (f) => progress.push(f));
    const probe = await probeMedia(result.file);
    assert.deepEqual([probe.videoCodec, probe.audioCodec, probe.pixFmt, probe.width, probe.height], ['h264', 'aac', 'yuv420p', 320, 240]);
    const expected = 1.3 + narration + 0.7;
    assert.ok(Math.abs(probe.durationSeconds - expected) <= 0.25, `duration ${probe.durationSeconds}s, expected ${expected}s`);
    const bytes = await readFile(result.file);
    assert.ok(bytes.indexOf('moov') < bytes.indexOf('mdat'), 'faststart puts moov before mdat');
    assert.deepEqual(
      [...progress].sort((a, b) => a - b),
      progress,
      'progress never goes back',
    );
    assert.equal(progress.at(-1), 1);
    assert.ok(result.speed !== null && result.speed > 0);
    // The hostile title reached drawtext as file content, word for word (wrapping only changes spaces to newlines).
    assert.equal((await readFile(path.join(ctx.scratchDir, 'slide-0-title.txt'), 'utf8')).replace(/\n/g, ' '), HOSTILE);
  } finally {
    cleanup();
  }
});

test('drawn text changes the frame: the text is really rendered', { timeout: 60_000 }, async () => {
  const frames: Buffer[] = [];
  for (const title of ['', HOSTILE]) {
    const request = deck({ slides: [{ title, duration: 0.5, transition: 'none' }] });
    const { ctx, cleanup } = stageContext(request);
    try {
      const result = await encodeStage(ctx, bareWork(request));
      frames.push(execFileSync('ffmpeg', ['-v', 'error', '-i', result.file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-']));
    } finally {
      cleanup();
    }
  }
  assert.equal(frames[0].length, frames[1].length);
  assert.notDeepEqual(frames[0], frames[1]);
});

test('an unreadable image fails as a non-retryable FfmpegError with the exit code and stderr', { timeout: 30_000 }, async () => {
  const request = deck({ slides: [{ title: 'x', duration: 0.5 }] });
  const { ctx, cleanup } = stageContext(request);
  try {
    const work = bareWork(request);
    work[0].assets.imagePath = path.join(ctx.scratchDir, 'slide-0-image');
    await writeFile(work[0].assets.imagePath, 'not an image at all');
    const err = await encodeStage(ctx, work).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof FfmpegError, String(err));
    assert.equal(err.category, 'ffmpeg');
    assert.equal(err.retryable, false);
    assert.ok(err.exitCode !== null && err.exitCode !== 0);
    assert.ok(err.stderrTail.length > 0);
  } finally {
    cleanup();
  }
});

function ffmpegChildren(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), 'ffmpeg'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

async function waitForFfmpegChild(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const [pid] = ffmpegChildren();
    if (pid) return pid;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('ffmpeg never started');
}

// Long enough that no machine finishes it within the tests' limits: even the copy-and-AAC mux of 1 h takes seconds.
const LONG = {
  config: { width: 1280, height: 720, fps: 30, quality: 'high' },
  slides: Array.from({ length: 6 }, (_, i) => ({ title: `long ${i}`, duration: 600 })),
};

test('cancelling during encode kills FFmpeg: no child is left 2 s later', { timeout: 30_000 }, async () => {
  const controller = new AbortController();
  const request = deck(LONG);
  const { ctx, cleanup } = stageContext(request, { signal: controller.signal });
  try {
    const running = encodeStage(ctx, bareWork(request)).then(
      () => null,
      (e: unknown) => e,
    );
    const pid = await waitForFfmpegChild();
    controller.abort('cancelled');
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(processAlive(pid), false, `ffmpeg ${pid} still running`);
    const err = await running;
    assert.ok(err instanceof RenderError);
    assert.equal(err.code, 'JOB_CANCELLED');
  } finally {
    cleanup();
  }
});

test('an encode past its time limit fails as STAGE_TIMEOUT and leaves no FFmpeg behind', { timeout: 30_000 }, async () => {
  const request = deck(LONG);
  const { ctx, cleanup } = stageContext(request, { env: { RENDER_ENCODE_TIMEOUT_MS: '1000' } });
  try {
    const err = await encodeStage(ctx, bareWork(request)).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RenderError);
    assert.deepEqual([err.code, err.category, err.retryable], ['STAGE_TIMEOUT', 'timeout', true]);
    assert.deepEqual(ffmpegChildren(), []);
  } finally {
    cleanup();
  }
});

test('segment frame counts add up to the total whatever the rounding', () => {
  const seconds = Array.from({ length: 50 }, (_, i) => 0.5 + (i % 7) * 0.37);
  const plans = planSegments(seconds, 24);
  const frames = plans.reduce((n, p) => n + p.frames, 0);
  const total = seconds.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(frames / 24 - total) <= 0.5 / 24 + 1e-9, `${frames / 24} vs ${total}`);
});

test('fetched audio (even a video file) is used for its slide and stretches it to the audio length', { timeout: 30_000 }, async () => {
  const request = deck({
    slides: [
      { title: 'a', duration: 1, audioUrl: 'http://127.0.0.1:9/a.mp4' },
      { title: 'b', duration: 1 },
    ],
  });
  const { ctx, cleanup } = stageContext(request);
  try {
    const audio = path.join(ctx.scratchDir, 'slide-0-audio');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=s=64x48:d=3',
      '-f',
      'lavfi',
      '-i',
      'sine=d=3',
      '-c:v',
      'libx264',
      '-c:a',
      'aac',
      '-f',
      'mp4',
      audio,
    ]);
    const work = bareWork(request);
    work[0].assets.audioPath = audio;
    const result = await encodeStage(ctx, work);
    const probe = await probeMedia(result.file);
    assert.deepEqual([probe.width, probe.height, probe.audioCodec], [320, 180, 'aac']);
    assert.ok(Math.abs(probe.durationSeconds - 4) <= 0.25, `duration ${probe.durationSeconds}s`);
  } finally {
    cleanup();
  }
});

/** Video packets of `file` as [keyframe?] flags, by demuxing only. */
function packetFlags(file: string): boolean[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=flags', '-of', 'csv=p=0', file], {
    encoding: 'utf8',
  });
  return out
    .trim()
    .split('\n')
    .map((f) => f.startsWith('K'));
}

test('static stretches are encoded once and copied: exact frame count, one keyframe per piece, the static GOP ≥ 2 s', {
  timeout: 60_000,
}, async () => {
  const request = deck({
    config: { width: 160, height: 90, fps: 10, quality: 'low', voice: 'en-us' },
    slides: [
      { title: 'fades', content: 'body', duration: 5.3, transition: 'fade' },
      { title: 'cut', duration: 4, transition: 'none' },
    ],
  });
  const { ctx, cleanup } = stageContext(request, { env: { RENDER_ENCODE_PARALLELISM: '3' } });
  try {
    const result = await encodeStage(ctx, bareWork(request));
    const plans = planSegments([5.3, 4], 10);
    const pieces = plans.map((p, i) => slidePieces(p.frames, 10, i === 0));
    assert.deepEqual(pieces[0], { fadeIn: 5, fadeOut: 5, gop: 20, repeats: 2, remainder: 3 });
    // The static piece on disk is one GOP: its frames, a single keyframe.
    const staticFlags = packetFlags(path.join(ctx.scratchDir, plans[0].video));
    assert.equal(staticFlags.length, 20);
    assert.deepEqual(
      staticFlags.map((k, i) => (k ? i : -1)).filter((i) => i >= 0),
      [0],
    );
    // The output holds every planned frame; each static copy starts with a keyframe and has no other:
    // copies of the one GOP, not re-encodes. (Fade pieces may hold a scene-cut keyframe of their own.)
    const flags = packetFlags(result.file);
    assert.equal(flags.length, 53 + 40);
    const copies = [
      [5, 25],
      [25, 45],
      [45, 48],
      [53, 73],
      [73, 93],
    ];
    for (const [from, to] of copies) {
      assert.deepEqual(
        flags
          .slice(from, to)
          .map((k, i) => (k ? i : -1))
          .filter((i) => i >= 0),
        [0],
        `static copy ${from}–${to}`,
      );
    }
    const probe = await probeMedia(result.file);
    assert.ok(Math.abs(probe.durationSeconds - 9.3) <= 0.1, `duration ${probe.durationSeconds}`);
    assert.ok(result.cpuSeconds > 0);
  } finally {
    cleanup();
  }
});

test('a fade-out followed by a fade-in is one transition piece; other fades stand alone; the list has every frame once', () => {
  const fades = [true, true, false, true];
  const plans = planSegments([3, 3, 3, 3], 10);
  const pieces = plans.map((p, i) => slidePieces(p.frames, 10, fades[i]));
  const runs = fadeRuns(plans, pieces).map((r) => [r.file, r.parts.map((x) => `${x.plan.index}${x.kind}`).join('+')]);
  assert.deepEqual(runs, [
    ['seg-0-in.mp4', '0in'],
    ['seg-0-out.mp4', '0out+1in'],
    ['seg-1-out.mp4', '1out'],
    ['seg-3-in.mp4', '3in'],
    ['seg-3-out.mp4', '3out'],
  ]);
  const list = videoList(plans, pieces, 10);
  assert.ok(!list.includes('seg-1-in.mp4'), 'the fade-in inside the transition is not listed again');
  // Frames the list plays: whole pieces, plus the cut copies' outpoints.
  const frameOf: Record<string, number> = {};
  for (const r of fadeRuns(plans, pieces)) frameOf[r.file] = r.parts.reduce((n, x) => n + x.frames, 0);
  for (const [i, p] of plans.entries()) frameOf[p.video] = pieces[i].gop;
  let frames = 0;
  const lines = list.trim().split('\n').slice(1);
  lines.forEach((line, i) => {
    const file = /^file '(.+)'$/.exec(line)?.[1];
    if (!file) return;
    const out = /^outpoint (.+)$/.exec(lines[i + 1] ?? '')?.[1];
    frames += out ? Math.ceil(Number(out) * 10 - 1e-6) : frameOf[file];
  });
  assert.equal(frames, 120);
});
