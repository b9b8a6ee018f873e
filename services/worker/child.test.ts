import { test } from 'vitest';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runChild } from './child';
import { RenderError } from '../shared/errors/render-error';
import { FfmpegProgressParser, type FfmpegProgress } from './ffmpeg-progress';
import { wrapText } from './stages/slide-segment';
import { processAlive } from '../../test/support/worker';

test('a missing tool is TOOL_MISSING in the resource category', { timeout: 10_000 }, async () => {
  const err = await runChild('render-o11y-no-such-tool', []).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof RenderError);
  assert.deepEqual([err.code, err.category], ['TOOL_MISSING', 'resource']);
});

test('a child that ignores SIGTERM is killed with SIGKILL after the grace period', { timeout: 10_000 }, async () => {
  const controller = new AbortController();
  let pid = 0;
  // The shell touches a file once its TERM trap is set, so the abort never races the trap.
  const ready = path.join(mkdtempSync(path.join(os.tmpdir(), 'render-child-')), 'trapped');
  const running = runChild('sh', ['-c', 'trap "" TERM; : > "$0"; while :; do sleep 0.1; done', ready], {
    signal: controller.signal,
    killGraceMs: 300,
    onSpawn: (p) => (pid = p),
  });
  for (let i = 0; i < 200 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(existsSync(ready), 'the child set its trap');
  controller.abort('cancelled');
  const result = await running;
  assert.equal(result.aborted, true);
  assert.equal(result.signal, 'SIGKILL');
  assert.equal(processAlive(pid), false);
});

test('progress parser joins split chunks and reports time and speed', () => {
  const reports: FfmpegProgress[] = [];
  const parser = new FfmpegProgressParser((p) => reports.push(p));
  parser.push('frame=10\nout_time_us=1500');
  parser.push('000\nspeed=2.5x\nprogress=continue\nout_time_us=N/A\nspeed=N/A\nprogress=end\n');
  assert.deepEqual(reports, [
    { outTimeSeconds: 1.5, speed: 2.5, done: false },
    { outTimeSeconds: 1.5, speed: null, done: true },
  ]);
  assert.equal(parser.lastSpeed, 2.5);
});

test('wrapText breaks at words and splits words longer than a line', () => {
  assert.equal(wrapText('one two three four', 9), 'one two\nthree\nfour');
  assert.equal(wrapText('abcdefghij', 4), 'abcd\nefgh\nij');
  assert.equal(wrapText('a\r\nb', 10), 'a\nb');
});
