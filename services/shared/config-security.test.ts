import { test } from 'vitest';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './config';

test('secure defaults: loopback HOST, private URLs refused, limits and retention set', () => {
  const c = loadConfig({});
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.fetch.allowPrivateUrls, false);
  assert.equal(c.auth, undefined);
  assert.equal(c.apiKeys, undefined);
  assert.deepEqual(c.limits, { submitPerMinute: 60, maxActivePerClient: 20, maxQueued: 1000 });
  assert.deepEqual(c.media, { maxImagePixels: 40_000_000, maxImageSide: 8192 });
  assert.equal(c.retentionMs, 7 * 86_400_000);
  assert.equal(c.minFreeBytes, 1024 ** 3);
});

test('RENDER_RETENTION takes s/m/h/d durations and 0; RENDER_ALLOW_PRIVATE_URLS takes true/false/1/0', () => {
  for (const [v, ms] of [
    ['7d', 7 * 86_400_000],
    ['36h', 36 * 3_600_000],
    ['90m', 90 * 60_000],
    ['45s', 45_000],
    ['0', 0],
  ] as const) {
    assert.equal(loadConfig({ RENDER_RETENTION: v }).retentionMs, ms, v);
  }
  assert.throws(
    () => loadConfig({ RENDER_RETENTION: 'a week' }),
    (e: Error) => e instanceof ConfigError && /RENDER_RETENTION/.test(e.message),
  );
  assert.equal(loadConfig({ RENDER_ALLOW_PRIVATE_URLS: 'true' }).fetch.allowPrivateUrls, true);
  assert.equal(loadConfig({ RENDER_ALLOW_PRIVATE_URLS: '0' }).fetch.allowPrivateUrls, false);
  assert.throws(() => loadConfig({ RENDER_ALLOW_PRIVATE_URLS: 'yes' }), /RENDER_ALLOW_PRIVATE_URLS/);
  assert.throws(() => loadConfig({ RENDER_AUTH: 'off' }), /RENDER_AUTH/);
  assert.throws(() => loadConfig({ RENDER_API_KEYS: 'bad name:tok' }), /RENDER_API_KEYS/);
});
