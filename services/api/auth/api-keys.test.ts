import { test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../shared/config';
import { ApiKeys, parseKeysFile } from './api-keys';
import { assertProtectedMode, isLoopbackHost } from './protected-mode';

test('RENDER_API_KEYS pairs map tokens to clients; malformed values stop start-up without echoing the secret', () => {
  const keys = ApiKeys.fromConfig(loadConfig({ RENDER_API_KEYS: 'alice:a-1, bob:b:2' }));
  assert.ok(keys);
  assert.equal(keys.clientOf('a-1'), 'alice');
  assert.equal(keys.clientOf('b:2'), 'bob', 'a token may contain colons');
  assert.equal(keys.clientOf('a-2'), null);
  assert.equal(ApiKeys.fromConfig(loadConfig({})), null);
  assert.throws(
    () => loadConfig({ RENDER_API_KEYS: 'alice-without-token-secretvalue' }),
    (err: Error) => /RENDER_API_KEYS/.test(err.message) && !/secretvalue/.test(err.message),
  );
  assert.throws(() => parseKeysFile('ok:1\nbad line\n'), /line 2/);
});

test('a keys file that becomes unreadable or malformed keeps the keys in force and reports why', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-keys-unit-'));
  const file = path.join(dir, 'keys');
  writeFileSync(file, 'alice:t1\n');
  const errors: string[] = [];
  const keys = ApiKeys.fromConfig({ apiKeys: undefined, apiKeysFile: file }, (err) => errors.push(err.message));
  try {
    assert.equal(keys?.clientOf('t1'), 'alice');
    writeFileSync(file, 'not a key line at all\n');
    const deadline = Date.now() + 10_000;
    while (errors.length === 0 && Date.now() < deadline) {
      assert.equal(keys?.clientOf('t1'), 'alice');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(errors[0] ?? '', /line 1/);
    assert.equal(keys?.clientOf('t1'), 'alice');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('protected mode: a non-loopback HOST without keys refuses naming RENDER_API_KEYS, unless RENDER_AUTH=none', () => {
  for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(host), host);
  for (const host of ['0.0.0.0', '::', '10.0.0.5', 'render.example', '192.168.1.1']) assert.ok(!isLoopbackHost(host), host);
  const admin = { ADMIN_TOKEN: 'admin-secret' };
  assert.throws(() => assertProtectedMode(loadConfig({ HOST: '0.0.0.0', ...admin }), null), /RENDER_API_KEYS/);
  assert.doesNotThrow(() => assertProtectedMode(loadConfig({ HOST: '0.0.0.0', RENDER_AUTH: 'none', ...admin }), null));
  const keys = ApiKeys.fromConfig(loadConfig({ RENDER_API_KEYS: 'a:b' }));
  assert.doesNotThrow(() => assertProtectedMode(loadConfig({ HOST: '0.0.0.0', ...admin }), keys));
  assert.doesNotThrow(() => assertProtectedMode(loadConfig({}), null), 'the default HOST is loopback');
  assert.equal(loadConfig({}).host, '127.0.0.1');
});

test('protected mode: API keys or a non-loopback HOST need ADMIN_TOKEN; an empty or blank value counts as unset', () => {
  const keys = ApiKeys.fromConfig(loadConfig({ RENDER_API_KEYS: 'a:b' }));
  for (const unset of [{}, { ADMIN_TOKEN: '' }, { ADMIN_TOKEN: '   ' }]) {
    // Keys on loopback: the admin page would show every client's jobs to any local caller.
    assert.throws(() => assertProtectedMode(loadConfig(unset), keys), /ADMIN_TOKEN/);
    assert.throws(() => assertProtectedMode(loadConfig({ HOST: '0.0.0.0', ...unset }), keys), /ADMIN_TOKEN/);
    // Beyond loopback even the jobs API opened on purpose keeps the admin page closed.
    assert.throws(() => assertProtectedMode(loadConfig({ HOST: '0.0.0.0', RENDER_AUTH: 'none', ...unset }), null), /ADMIN_TOKEN/);
    // Loopback, no keys: one local user, nothing to protect from.
    assert.doesNotThrow(() => assertProtectedMode(loadConfig(unset), null));
  }
  assert.doesNotThrow(() => assertProtectedMode(loadConfig({ ADMIN_TOKEN: 'x' }), keys));
});
