import { test } from 'vitest';
import assert from 'node:assert/strict';
import os from 'node:os';
import { encodeBytes, encodeSlots, memoryLimitBytes } from './encode-slots';

const GiB = 1024 ** 3;

test('parallel 1080p encodes fit half of a 1 GiB worker, whatever parallelism is asked for', () => {
  const { runs } = encodeSlots(8, 1920, 1080, GiB, 8);
  assert.ok(runs >= 1 && runs * encodeBytes(1920, 1080) <= GiB / 2, `${runs} runs`);
  assert.ok(runs < 8);
});

test('RENDER_ENCODE_PARALLELISM bounds the runs, and the cores are shared out as threads', () => {
  assert.deepEqual(encodeSlots(2, 1920, 1080, 64 * GiB, 2), { runs: 2, threads: 2 });
  assert.deepEqual(encodeSlots(1, 1920, 1080, 64 * GiB, 2), { runs: 1, threads: 3 });
  assert.deepEqual(encodeSlots(16, 320, 180, 64 * GiB, 4), { runs: 16, threads: 1 });
  // Never below one run, even when one encode does not fit the budget.
  assert.deepEqual(encodeSlots(4, 3840, 2160, 256 * 1024 ** 2, 2), { runs: 1, threads: 3 });
});

test('RENDER_MEMORY_LIMIT_BYTES, when configured, is the memory the encodes are fitted into (never above the machine)', () => {
  assert.equal(memoryLimitBytes(GiB), Math.min(GiB, os.totalmem()));
  assert.equal(memoryLimitBytes(2 ** 50), os.totalmem());
  assert.ok(memoryLimitBytes() <= os.totalmem());
});
