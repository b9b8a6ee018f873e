/**
 * The production build: `npm run build` emits JavaScript, and the compiled embedded service runs on
 * plain `node` (no tsx), with the instrumentation loaded by `--import`, and renders a deck.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { submitJob, waitForStatus } from '../support/jobs';
import { REPO_ROOT, startService, type RunningService } from '../support/service';

describe('compiled build', { timeout: 180_000 }, () => {
  let svc: RunningService | undefined;

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO_ROOT, stdio: 'pipe' });
    svc = await startService({ compiled: true });
  });
  afterAll(async () => {
    await svc?.stop();
    svc?.cleanup();
  });

  test('emits JavaScript for every entry point and the instrumentation bootstrap', () => {
    for (const file of [
      'services/main.js',
      'services/api/main.js',
      'services/worker/main.js',
      'services/cli/main.js',
      'instrumentation/register.js',
    ]) {
      assert.ok(existsSync(path.join(REPO_ROOT, 'dist', file)), `dist/${file}`);
    }
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'dist/package.json'), 'utf8')) as { version: string; type: string };
    assert.equal(pkg.type, 'commonjs');
    assert.equal(pkg.version, (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  test('the compiled service runs without tsx and renders a deck to MP4', { timeout: 120_000 }, async () => {
    const cmdline = readFileSync(`/proc/${svc!.child.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(!cmdline.includes('tsx'), cmdline.join(' '));
    assert.ok(
      cmdline.some((a) => a.endsWith('dist/services/main.js')),
      cmdline.join(' '),
    );
    const job = await submitJob(svc!.url, {
      title: 'compiled',
      slides: [{ title: 'Built', content: 'from dist/', duration: 1, transition: 'none' }],
      config: { width: 160, height: 120, fps: 10, quality: 'low' },
    });
    const done = await waitForStatus(svc!.url, job.id, ['completed', 'failed'], 100_000);
    assert.equal(done.status, 'completed', JSON.stringify(done.error));
    const res = await fetch(`${svc!.url}/api/jobs/${job.id}/output`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'video/mp4');
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp', 'an MP4 file');
    // The admin page's stylesheet is an asset the build copies next to the compiled router.
    assert.equal((await fetch(`${svc!.url}/admin/metrics`)).status, 200);
  });
});
