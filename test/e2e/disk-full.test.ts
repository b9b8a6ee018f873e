/**
 * Disk full on a real small filesystem: the scratch directory (encode) and, separately, the output
 * directory (store) are sized tmpfs mounts (the test machines run as root). ENOSPC fails the attempt
 * as category `storage`, retryable, the partial files are gone, and the service keeps serving.
 */
import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService } from '../support/service';
import { submitJob, tinyDeck, waitForStatus } from '../support/jobs';

/** Bigger than the small filesystem once encoded. */
const bigDeck = {
  title: 'does not fit',
  slides: [{ title: 'big', content: 'many megabytes', duration: 20, transition: 'none' }],
  config: { width: 640, height: 360, fps: 25, quality: 'high' },
};

/** Mounts a tmpfs of `size` on `dir` for the duration of `fn`. */
async function onTmpfs(dir: string, size: string, fn: () => Promise<void>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  try {
    await fn();
  } finally {
    execFileSync('umount', ['-l', dir]);
  }
}

/** Every file left under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe('ENOSPC on a real small filesystem (tmpfs)', { timeout: 240_000 }, () => {
  // Sizes: the scratch mount cannot hold the encode's intermediate files; the outputs mount cannot hold the final MP4.
  for (const [where, size] of [
    ['scratch', '1m'],
    ['outputs', '32k'],
  ] as const) {
    test(`a full ${where} filesystem fails the job as storage, retryable, leaves no partial file, and the service keeps serving`, async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-enospc-'));
      const small = path.join(dataDir, where);
      try {
        await onTmpfs(small, size, async () => {
          // The free-space gate (RENDER_MIN_FREE_BYTES) would keep the job queued on so small a disk; this
          // test is about a disk that fills up during the job, so the gate is off. So is the piece cache,
          // which lives on the outputs volume: with no free-space margin its whole pieces would hold the
          // room the next video needs (it gives space back only above RENDER_MIN_FREE_BYTES; evicting on
          // ENOSPC itself is not built yet).
          const svc = await startService({
            dataDir,
            env: { RENDER_MAX_ATTEMPTS: '2', RENDER_BACKOFF_MS: '200', RENDER_MIN_FREE_BYTES: '0', RENDER_PIECE_CACHE_BYTES: '0' },
          });
          try {
            const job = await submitJob(svc.url, bigDeck);
            const done = await waitForStatus(svc.url, job.id, ['completed', 'failed'], 200_000);
            assert.equal(done.status, 'failed');
            assert.equal(done.error?.category, 'storage', JSON.stringify(done.error));
            assert.equal(done.error?.code, 'STORAGE_FAILED');
            assert.equal(done.error?.retryable, true);
            assert.equal(done.attempts, 2, 'retried after the backoff');
            assert.match(done.error?.message ?? '', /ENOSPC/);
            assert.deepEqual(filesUnder(small), [], 'partial files removed');
            assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
            assert.equal((await fetch(`${svc.url}/readyz`)).status, 200);
            const fits = await submitJob(svc.url, tinyDeck('fits', 1, 1));
            const ok = await waitForStatus(svc.url, fits.id, ['completed', 'failed'], 60_000);
            assert.equal(ok.status, 'completed', JSON.stringify(ok.error));
          } finally {
            await svc.stop();
          }
        });
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
