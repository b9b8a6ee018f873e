import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { cgroupLimit, cgroupOomKills, cgroupWorkingSet, memoryUsage, processTreeRss, type MemorySources } from './process-memory';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fake /proc and /sys/fs/cgroup with a container's cgroup v2 files. */
function fakeHost(files: Record<string, string>): MemorySources {
  const root = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-mem-'));
  dirs.push(root);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return { cgroupRoot: path.join(root, 'cgroup'), procRoot: path.join(root, 'proc'), pid: 42 };
}

describe('cgroup v2 figures', () => {
  it('working set (current minus inactive file), memory.max and oom_kill of the process cgroup', () => {
    const s = fakeHost({
      'proc/42/cgroup': '0::/system.slice/docker-abc.scope\n',
      'proc/42/statm': '9000 250 100 1 0 500 0\n',
      'cgroup/system.slice/docker-abc.scope/memory.current': '900000000\n',
      'cgroup/system.slice/docker-abc.scope/memory.stat': 'anon 700000000\nfile 200000000\ninactive_file 150000000\nactive_file 50000000\n',
      'cgroup/system.slice/docker-abc.scope/memory.max': '1073741824\n',
      'cgroup/system.slice/docker-abc.scope/memory.events': 'low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\n',
    });
    assert.equal(cgroupWorkingSet(s), 750000000);
    assert.equal(memoryUsage(s), 750000000, 'the cgroup wins over the process tree');
    assert.equal(cgroupLimit(s), 1073741824);
    assert.equal(cgroupOomKills(s), 2);
  });

  it('an unlimited cgroup has no limit; no cgroup v2 falls back to the process tree', () => {
    const unlimited = fakeHost({
      'proc/42/cgroup': '0::/\n',
      'cgroup/memory.current': '5000\n',
      'cgroup/memory.max': 'max\n',
    });
    assert.equal(cgroupLimit(unlimited), undefined);
    assert.equal(cgroupOomKills(unlimited), undefined);
    const v1 = fakeHost({
      'proc/42/cgroup': '4:memory:/docker/abc\n0::/\n',
      // statm counts 4 KiB pages: 512 pages = 2 MiB resident.
      'proc/42/statm': '9000 512 100 1 0 500 0\n',
      'proc/42/task/42/children': '43 ',
      'proc/43/statm': '4000 256 50 1 0 200 0\n',
      'proc/43/task/43/children': '',
    });
    assert.equal(cgroupWorkingSet(v1), undefined);
    assert.equal(memoryUsage(v1), 3 * 1024 * 1024, 'this process plus its child');
  });
});

describe('the real process tree', { timeout: 30_000 }, () => {
  it("counts a child's memory (as FFmpeg's would be)", async () => {
    const before = processTreeRss();
    assert.ok(before && before > 10 * 1024 * 1024, `own RSS ${before}`);
    const child = spawn(
      process.execPath,
      ['-e', "const b = Buffer.alloc(200 * 1024 * 1024, 1); console.log('ready'); setTimeout(() => b.length, 30000)"],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => String(d).includes('ready') && resolve());
        child.once('exit', () => reject(new Error('child exited early')));
      });
      const after = processTreeRss() ?? 0;
      assert.ok(after - before > 150 * 1024 * 1024, `tree grew by ${(after - before) / 1048576} MiB only`);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
