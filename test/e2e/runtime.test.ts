/**
 * The runtime every entry point uses: Node >= 24, even when the command is started by a system npm
 * (or node) that is older. On a machine whose own Node is 20, `npm run api` must still serve on the
 * project's Node 24 (installed by setup under .tools/).
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '../support/ports';
import { REPO_ROOT } from '../support/service';
import { descendants } from './process-tree';

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
  bin: Record<string, string>;
};
const major = (v: string) => Number(/^v?(\d+)/.exec(v)?.[1]);

test('engines.node requires 24 or newer and every entry script runs through the project launcher', () => {
  assert.match(pkg.engines.node, /^>=\s*(2[4-9]|[3-9]\d)/);
  for (const name of ['start', 'api', 'worker', 'bench', 'test', 'build', 'dashboards']) {
    assert.match(pkg.scripts[name], /^scripts\/node /, `npm run ${name} must start the project's Node`);
  }
  assert.match(pkg.scripts.cli, /^bin\/render-o11y\b/);
  assert.equal(pkg.bin['render-o11y'], 'bin/render-o11y');
});

test('the launcher runs Node 24 or newer', () => {
  const v = execFileSync(path.join(REPO_ROOT, 'scripts/node'), ['-p', 'process.version'], { encoding: 'utf8' }).trim();
  assert.ok(major(v) >= 24, v);
});

test('`npm run api` started by the system npm serves on Node >= 24', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-runtime-'));
  const port = await freePort();
  // The machine's own npm and node, whatever their version (Node 20 on a fresh machine here).
  const systemNode = execFileSync('bash', ['-lc', 'command -v node'], { encoding: 'utf8' }).trim();
  const npm = spawn('npm', ['run', '--silent', 'api'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PATH: `${path.dirname(systemNode)}:${process.env.PATH}`,
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: '0',
      RENDER_DATA_DIR: dataDir,
      OTEL_SDK_DISABLED: 'true',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  npm.stdout.on('data', (d) => (out += d));
  npm.stderr.on('data', (d) => (out += d));
  try {
    await waitFor('npm run api to serve /healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 40_000).catch(
      (err) => {
        throw new Error(`${err}\n${out}`);
      },
    );
    const server = descendants(npm.pid!).find((p) => {
      if (p.comm === 'sh' || p.comm === 'bash') return false;
      try {
        return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes('services/api/main.ts');
      } catch {
        return false;
      }
    });
    assert.ok(server, 'the API process runs under npm');
    const exe = readlinkSync(`/proc/${server.pid}/exe`);
    const version = execFileSync(exe, ['--version'], { encoding: 'utf8' }).trim();
    assert.ok(major(version) >= 24, `the API runs on ${version} (${exe})`);
  } finally {
    try {
      process.kill(-npm.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await new Promise((r) => npm.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
