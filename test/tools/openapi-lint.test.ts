/**
 * Redocly's `recommended` lint (redocly.yaml) of the document the running API serves, not of a
 * file we keep: zero errors and zero warnings. A rule is off only with its reason in redocly.yaml.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { startTestApi } from '../support/api';

const ROOT = path.resolve(__dirname, '../..');
const REDOCLY = path.join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');

interface Problem {
  ruleId: string;
  severity: string;
  message: string;
  location: { pointer: string }[];
}

describe('Redocly lint of the served OpenAPI document', () => {
  test('recommended ruleset: no errors, no warnings', async () => {
    const api = await startTestApi();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-lint-'));
    try {
      const file = path.join(dir, 'openapi.json');
      writeFileSync(file, await (await fetch(`${api.url}/api/openapi.json`)).text());
      const run = await promisify(execFile)(
        process.execPath,
        [REDOCLY, 'lint', file, '--config', path.join(ROOT, 'redocly.yaml'), '--format', 'json'],
        // Redocly sends usage telemetry and checks for updates unless told not to; tests talk to loopback only.
        { cwd: ROOT, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
      ).catch((err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? '' }));
      const report = JSON.parse(run.stdout) as { totals: { errors: number; warnings: number }; problems: Problem[] };
      const shown = report.problems.map((p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
      assert.deepEqual(shown, []);
      assert.deepEqual([report.totals.errors, report.totals.warnings], [0, 0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await api.close();
    }
  });
});
