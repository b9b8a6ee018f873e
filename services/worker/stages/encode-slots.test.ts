import { test } from 'vitest';
import assert from 'node:assert/strict';
import os from 'node:os';
import { encodeBytes, encodeSlots, memoryLimitBytes, PIECE_THREADS } from './encode-slots';

const GiB = 1024 ** 3;

test('parallel 1080p encodes fit half of a 1 GiB worker, whatever parallelism is asked for', () => {
  const { runs } = encodeSlots(8, 1920, 1080, GiB);
  assert.ok(runs >= 1 && runs * encodeBytes(1920, 1080) <= GiB / 2, `${runs} runs`);
  assert.ok(runs < 8);
});

test('RENDER_ENCODE_PARALLELISM bounds the runs; every run has the same x264 threads whatever the core count', () => {
  assert.deepEqual(encodeSlots(2, 1920, 1080, 64 * GiB), { runs: 2, threads: PIECE_THREADS });
  assert.deepEqual(encodeSlots(1, 1920, 1080, 64 * GiB), { runs: 1, threads: PIECE_THREADS });
  assert.deepEqual(encodeSlots(16, 320, 180, 64 * GiB), { runs: 16, threads: PIECE_THREADS });
  // Never below one run, even when one encode does not fit the budget.
  assert.deepEqual(encodeSlots(4, 3840, 2160, 256 * 1024 ** 2), { runs: 1, threads: PIECE_THREADS });
});

test('RENDER_MEMORY_LIMIT_BYTES, when configured, is the memory the encodes are fitted into (never above the machine)', () => {
  assert.equal(memoryLimitBytes(GiB), Math.min(GiB, os.totalmem()));
  assert.equal(memoryLimitBytes(2 ** 50), os.totalmem());
  assert.ok(memoryLimitBytes() <= os.totalmem());
});
