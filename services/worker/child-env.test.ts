import { test } from 'vitest';
import assert from 'node:assert/strict';
import { runChild } from './child';
import { childEnv } from './child-env';

test('child processes get only the allowlisted variables: no tokens, secrets or REDIS_URL', { timeout: 10_000 }, async () => {
  const env = childEnv({
    PATH: '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    REDIS_URL: 'redis://secret@host',
    WEBHOOK_SECRET: 'w',
    RENDER_API_KEYS: 'a:b',
    ADMIN_TOKEN: 't',
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=x',
  });
  assert.deepEqual(Object.keys(env).sort(), ['LANG', 'PATH']);
  // And what a real child sees, with secrets set in this process's own environment.
  process.env.WEBHOOK_SECRET = 'do-not-leak';
  process.env.REDIS_URL = 'redis://do-not-leak';
  try {
    const result = await runChild('env', [], { captureStdout: true });
    assert.equal(result.exitCode, 0);
    assert.ok(!result.stdout.includes('do-not-leak'), result.stdout);
    assert.match(result.stdout, /^PATH=/m);
  } finally {
    delete process.env.WEBHOOK_SECRET;
    delete process.env.REDIS_URL;
  }
});
