/** Log format: JSON for machines by default, pino-pretty's human lines on a terminal or when asked. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const logOnce = (env: Record<string, string>) =>
  spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', "require('./services/telemetry/logger.ts').createLogger('probe').info({ n: 7 }, 'hello')"],
    {
      cwd: path.resolve(__dirname, '..', '..'),
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
      encoding: 'utf8',
    },
  ).stdout.trim();

test('without a terminal every line is JSON with the service name', { timeout: 30_000 }, () => {
  const line = JSON.parse(logOnce({ LOG_FORMAT: '' }));
  assert.equal(line.msg, 'hello');
  assert.equal(line.service, 'probe');
  assert.equal(line.n, 7);
});

test('LOG_FORMAT=pretty prints human-readable lines instead of JSON', { timeout: 30_000 }, () => {
  const out = logOnce({ LOG_FORMAT: 'pretty', NO_COLOR: '1' });
  assert.throws(() => JSON.parse(out));
  assert.match(out, /INFO.*\(probe\).*hello/);
  assert.match(out, /n: 7/);
});
