import { test } from 'vitest';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { backoffDelayMs, ConfigError, loadConfig } from './config';

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
});
