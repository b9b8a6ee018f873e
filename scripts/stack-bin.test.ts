/**
 * scripts/stack-bin.sh: a built part is reused from the cache outside the repository (setup built it
 * before the tests; nothing here forces a rebuild), parts that cannot be built here are refused with
 * their reason, and a failed build names the part and shows Go's error.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, test } from 'vitest';
import { readVersions } from '../stack/versions';

const REPO = path.join(__dirname, '..');
const script = path.join(__dirname, 'stack-bin.sh');
const v = readVersions();
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string | undefined> = {}) {
  return spawnSync(script, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60 * 60_000 });
}

test('a built part is reused: same path, nothing rebuilt, nothing said, outside the repository', { timeout: 60 * 60_000 }, () => {
  const first = run(['otelcol']);
  assert.equal(first.status, 0, first.stderr);
  const bin = first.stdout.trim();
  assert.ok(path.isAbsolute(bin));
  assert.ok(!bin.startsWith(REPO), `${bin} is inside the repository`);
  assert.match(bin, new RegExp(`/stack/otelcol-${v.COLLECTOR_VERSION.replace(/\./g, '\\.')}-[0-9a-f]{12}/otelcol$`));
  const again = run(['otelcol']);
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout.trim(), bin);
  assert.equal(again.stderr, '', 'a warm call builds nothing and says nothing');
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  assert.match(version.stdout, new RegExp(v.COLLECTOR_VERSION.replace(/\./g, '\\.')));
});

test('Prometheus and promtool come from the pinned release and report its version', { timeout: 60 * 60_000 }, () => {
  for (const part of ['prometheus', 'promtool']) {
    const r = run([part]);
    assert.equal(r.status, 0, r.stderr);
    const out = spawnSync(r.stdout.trim(), ['--version'], { encoding: 'utf8' });
    assert.match(`${out.stdout}${out.stderr}`, new RegExp(`version ${v.PROMETHEUS_VERSION.replace(/\./g, '\\.')}`), part);
  }
});

test('Tempo, Grafana and Loki are refused with the reason, before any build', { timeout: 60_000 }, () => {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-stack-bin-'));
  temps.push(cache);
  for (const part of ['tempo', 'grafana', 'loki']) {
    const r = run([part], { RENDER_O11Y_CACHE: cache });
    assert.equal(r.status, 3, `${part}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^stack-bin: ${part} \\S+ cannot be built here: .*AGPL`, 'm'));
  }
  assert.deepEqual(readdirSync(cache), [], 'nothing was built or cached');
  const unknown = run(['nonsense'], { RENDER_O11Y_CACHE: cache });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /^usage: /);
});

test("a failed build names the part, shows Go's error and leaves nothing to reuse", { timeout: 60_000 }, () => {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-stack-bin-'));
  temps.push(cache);
  // A go command that is new enough but whose every build fails, as a broken module would.
  const fakeBin = path.join(cache, 'bin');
  mkdirSync(fakeBin);
  writeFileSync(
    path.join(fakeBin, 'go'),
    '#!/bin/sh\nif [ "$1 $2" = "env GOVERSION" ]; then echo go1.26.0; exit 0; fi\necho "go: example.com/broken@v1.0.0: missing go.sum entry" >&2\nexit 1\n',
  );
  chmodSync(path.join(fakeBin, 'go'), 0o755);
  const r = run(['toxiproxy-server'], { RENDER_O11Y_CACHE: cache, PATH: `${fakeBin}:${process.env.PATH}` });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, new RegExp(`building toxiproxy-server ${v.TOXIPROXY_VERSION.replace(/\./g, '\\.')} FAILED`));
  assert.match(r.stderr, /missing go\.sum entry/);
  assert.ok(!readdirSync(path.join(cache, 'stack')).includes(`toxiproxy-server-${v.TOXIPROXY_VERSION}`), 'no half-built folder is reused');
});

test('an old go is refused with the version it needs', { timeout: 60_000 }, () => {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-stack-bin-'));
  temps.push(cache);
  const fakeBin = path.join(cache, 'bin');
  mkdirSync(fakeBin);
  writeFileSync(path.join(fakeBin, 'go'), '#!/bin/sh\necho go1.19.8\n');
  chmodSync(path.join(fakeBin, 'go'), 0o755);
  const r = run(['toxiproxy-server'], { RENDER_O11Y_CACHE: cache, PATH: `${fakeBin}:${process.env.PATH}` });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Go 1\.19\.8 is older than the 1\.26/);
});
