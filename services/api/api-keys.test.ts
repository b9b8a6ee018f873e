import { test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../shared/config';
import { ApiKeys, parseKeysFile } from './api-keys';
import { assertSafeExposure, isLoopbackHost } from './protected-mode';

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
  assert.throws(() => assertSafeExposure(loadConfig({ HOST: '0.0.0.0' }), null), /RENDER_API_KEYS/);
  assert.doesNotThrow(() => assertSafeExposure(loadConfig({ HOST: '0.0.0.0', RENDER_AUTH: 'none' }), null));
  const keys = ApiKeys.fromConfig(loadConfig({ RENDER_API_KEYS: 'a:b' }));
  assert.doesNotThrow(() => assertSafeExposure(loadConfig({ HOST: '0.0.0.0' }), keys));
  assert.doesNotThrow(() => assertSafeExposure(loadConfig({}), null), 'the default HOST is loopback');
  assert.equal(loadConfig({}).host, '127.0.0.1');
});
