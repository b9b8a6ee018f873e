/** Protected mode as users meet it: the real entry points started with HOST=0.0.0.0 and no API keys. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../support/service';

/** Runs an entry point to its exit; returns the exit code and everything it printed. */
function run(entry: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-protected-'));
  const full: NodeJS.ProcessEnv = { ...process.env, RENDER_DATA_DIR: dataDir, PORT: '0', OTEL_SDK_DISABLED: 'true', ...env };
  delete full.RENDER_API_KEYS;
  delete full.RENDER_API_KEYS_FILE;
  delete full.RENDER_AUTH;
  delete full.ADMIN_TOKEN;
  Object.assign(full, env);
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: REPO_ROOT, env: full, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      rmSync(dataDir, { recursive: true, force: true });
      resolve({ code, output });
    }),
  );
}

test('the embedded service and the API refuse HOST=0.0.0.0 without keys, naming RENDER_API_KEYS', { timeout: 60_000 }, async () => {
  for (const entry of ['services/main.ts', 'services/api/main.ts']) {
    const { code, output } = await run(entry, { HOST: '0.0.0.0' });
    assert.notEqual(code, 0, `${entry} should not start:\n${output}`);
    assert.match(output, /RENDER_API_KEYS/, entry);
  }
});

test('with RENDER_API_KEYS set and ADMIN_TOKEN unset (or empty) the API refuses to start, naming ADMIN_TOKEN', {
  timeout: 60_000,
}, async () => {
  for (const env of [
    { RENDER_API_KEYS: 'me:a-long-client-token' },
    { RENDER_API_KEYS: 'me:a-long-client-token', ADMIN_TOKEN: '' },
  ] as Record<string, string>[]) {
    for (const entry of ['services/main.ts', 'services/api/main.ts']) {
      const { code, output } = await run(entry, env);
      assert.notEqual(code, 0, `${entry} should not start:\n${output}`);
      assert.match(output, /ADMIN_TOKEN/, entry);
      assert.doesNotMatch(output, /a-long-client-token/, 'the key is never echoed');
    }
  }
});

test('a keys file that cannot be read stops start-up the same way', { timeout: 60_000 }, async () => {
  const { code, output } = await run('services/api/main.ts', { HOST: '0.0.0.0', RENDER_API_KEYS_FILE: '/nonexistent/render-keys' });
  assert.notEqual(code, 0);
  assert.match(output, /RENDER_API_KEYS/);
});
