import { test } from 'vitest';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { backoffDelayMs, retryAfterMs } from './backoff';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config';

test('defaults: port 3000, embedded (no Redis), outputs under the data dir, frozen', () => {
  const c = loadConfig({});
  assert.equal(c.port, 3000);
  assert.equal(c.redisUrl, undefined);
  assert.equal(c.outputDir, path.resolve('./data', 'outputs'));
  assert.equal(c.maxAttempts, 3);
  assert.equal(c.encodeParallelism, os.availableParallelism());
  assert.equal(c.traceReadRatio, 0.05);
  assert.equal(loadConfig({ RENDER_ENCODE_PARALLELISM: '3' }).encodeParallelism, 3);
  assert.ok(Object.isFrozen(c));
  assert.throws(() => ((c as { port: number }).port = 1));
});

test('a bad value throws ConfigError naming the variable and the value', () => {
  assert.throws(
    () => loadConfig({ PORT: 'eighty' }),
    (err: Error) => err instanceof ConfigError && /PORT/.test(err.message) && /eighty/.test(err.message),
  );
  assert.throws(
    () => loadConfig({ RENDER_CONCURRENCY: '0' }),
    (err: Error) => err instanceof ConfigError && /RENDER_CONCURRENCY/.test(err.message),
  );
  for (const [name, value] of [
    ['RENDER_ENCODE_PARALLELISM', '0'],
    ['RENDER_TRACE_READ_RATIO', '1.5'],
    ['RENDER_TRACE_READ_RATIO', 'half'],
  ]) {
    assert.throws(
      () => loadConfig({ [name]: value }),
      (err: Error) => err instanceof ConfigError && err.message.includes(name),
    );
  }
  assert.throws(
    () => loadConfig({ REDIS_URL: 'not a url' }),
    (err: Error) => err instanceof ConfigError && /REDIS_URL/.test(err.message),
  );
});

test('every bad variable is named, not just the first', () => {
  assert.throws(
    () => loadConfig({ PORT: '-1', LOG_LEVEL: 'loud' }),
    (err: Error) => /PORT/.test(err.message) && /LOG_LEVEL/.test(err.message),
  );
});

test('empty secrets mean unset; backoff doubles per attempt', () => {
  const c = loadConfig({ ADMIN_TOKEN: '', METRICS_TOKEN: 's3cret', PORT: '8080' });
  assert.equal(c.adminToken, undefined);
  assert.equal(c.metricsToken, 's3cret');
  assert.equal(c.port, 8080);
  assert.deepEqual(
    [1, 2, 3].map((n) => backoffDelayMs(100, n)),
    [100, 200, 400],
  );
  assert.equal(backoffDelayMs(100, 10, 5000), 5000, 'capped');
});

test('Retry-After: delta-seconds, an HTTP date, or nothing usable', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(retryAfterMs('120', now), 120_000);
  assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
  assert.equal(retryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
  assert.equal(retryAfterMs('soon', now), undefined);
  assert.equal(retryAfterMs(undefined, now), undefined);
});

test('the schema is the one list: every variable it reads has a README row, and the result is frozen all the way down', () => {
  const documented = new Set(CONFIG_VARIABLES.flatMap((r) => r.names));
  // Variables documented inside another's row name it in that row's text.
  const text = CONFIG_VARIABLES.map((r) => r.doc).join(' ');
  for (const name of ['PORT', 'HOST', 'ADMIN_TOKEN', 'RENDER_API_KEYS', 'LOG_LEVEL', 'RENDER_STORAGE_URL'])
    assert.ok(documented.has(name), name);
  for (const name of ['AWS_ENDPOINT_URL', 'AWS_DEFAULT_REGION']) assert.ok(!documented.has(name) && text.includes(`\`${name}\``), name);
  assert.equal(
    documented.size,
    CONFIG_VARIABLES.reduce((n, r) => n + r.names.length, 0),
    'no variable has two rows',
  );
  const c = loadConfig({ RENDER_API_KEYS: 'a:b' });
  assert.ok(Object.isFrozen(c.fetch) && Object.isFrozen(c.limits) && Object.isFrozen(c.storage));
  assert.ok(Object.isFrozen(c.apiKeys) && Object.isFrozen(c.apiKeys?.[0]));
});

test('a bad storage URL is reported as a configuration error naming RENDER_STORAGE_URL', () => {
  assert.throws(
    () => loadConfig({ RENDER_STORAGE_URL: 's3://Bad_Bucket/x' }),
    (err: Error) => err instanceof ConfigError && /RENDER_STORAGE_URL/.test(err.message) && /invalid configuration/.test(err.message),
  );
});
