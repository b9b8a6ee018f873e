/**
 * Layers import downwards (docs/architecture.md): this test reads every non-test source file's
 * imports (static, `export … from`, `require()` and `import()`, as the TypeScript scanner finds
 * them) and fails on any that crosses a forbidden boundary.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');

/** One rule: non-test files under `from` must not import anything under `forbidden`. */
interface Rule {
  from: string;
  forbidden: string;
}

const RULES: Rule[] = [
  { from: 'instrumentation', forbidden: 'services' },
  { from: 'services/worker', forbidden: 'services/api' },
  { from: 'services/shared', forbidden: 'services/queue' },
];

/** Tests and what only tests load (what tsconfig.build.json leaves out of the production build). */
function isTestFile(rel: string): boolean {
  return /\.test\.ts$|(^|\/)fixtures\/|(^|\/)test-(support|helpers)\.ts$|\.fixture\.ts$/.test(rel);
}

/** Non-test TypeScript files under `dir` (relative to the repository root, `/`-separated). */
function sourceFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return [];
  return (fs.readdirSync(abs, { recursive: true }) as string[])
    .map((f) => path.posix.join(dir, f.split(path.sep).join('/')))
    .filter((f) => f.endsWith('.ts') && !f.includes('node_modules/') && !isTestFile(f));
}

/** Every module specifier `source` imports. */
function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** Where a relative specifier of `file` points, relative to the root; null for a package or builtin. */
function target(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  return path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
}

const under = (rel: string, dir: string) => rel === dir || rel.startsWith(`${dir}/`);

/** `file -> specifier` for each import of `source` (the text of `file`) that breaks `rule`. */
function violations(file: string, source: string, rule: Rule): string[] {
  return importsOf(source)
    .filter((s) => {
      const t = target(file, s);
      return t !== null && under(t, rule.forbidden);
    })
    .map((s) => `${file} -> ${s}`);
}

/** `file -> specifier` for each import of a bridge file other than @opentelemetry/api, node builtins and the bridge itself. */
function bridgeViolations(file: string, source: string): string[] {
  return importsOf(source)
    .filter((s) => {
      const t = target(file, s);
      if (t !== null) return !under(t, 'telemetry-bridge');
      return s !== '@opentelemetry/api' && !s.startsWith('node:');
    })
    .map((s) => `${file} -> ${s}`);
}

describe('layers import downwards', () => {
  it('the checker sees every import form and resolves relative paths', () => {
    const src = [
      "import { a } from '../services/telemetry/metrics';",
      "import type { B } from '../services/shared/job';",
      "export { c } from '../services/queue';",
      "const d = require('../services/api/main');",
      "void import('../services/worker/main');",
      "import { e } from './env';",
      "import { f } from '@opentelemetry/api';",
    ].join('\n');
    const rule = { from: 'instrumentation', forbidden: 'services' };
    assert.deepEqual(violations('instrumentation/x.ts', src, rule), [
      'instrumentation/x.ts -> ../services/telemetry/metrics',
      'instrumentation/x.ts -> ../services/shared/job',
      'instrumentation/x.ts -> ../services/queue',
      'instrumentation/x.ts -> ../services/api/main',
      'instrumentation/x.ts -> ../services/worker/main',
    ]);
    // A sibling folder whose name merely starts like the forbidden one is not under it.
    assert.deepEqual(
      violations('services/worker/x.ts', "import { g } from '../api-client/g';", { from: 'services/worker', forbidden: 'services/api' }),
      [],
    );
    assert.deepEqual(
      bridgeViolations('telemetry-bridge/x.ts', "import { h } from '@opentelemetry/sdk-metrics';\nimport { i } from './meter';"),
      ['telemetry-bridge/x.ts -> @opentelemetry/sdk-metrics'],
    );
  });

  for (const rule of RULES) {
    it(`no non-test file under ${rule.from}/ imports from ${rule.forbidden}/`, () => {
      const files = sourceFiles(rule.from);
      assert.ok(files.length > 0, `no source files found under ${rule.from}/`);
      const found = files.flatMap((f) => violations(f, fs.readFileSync(path.join(ROOT, f), 'utf8'), rule));
      assert.deepEqual(found, []);
    });
  }

  it('telemetry-bridge/ depends only on @opentelemetry/api and node builtins', () => {
    const files = sourceFiles('telemetry-bridge');
    assert.ok(files.length > 0);
    const found = files.flatMap((f) => bridgeViolations(f, fs.readFileSync(path.join(ROOT, f), 'utf8')));
    assert.deepEqual(found, []);
  });
});
