/** Every production parameter that exists for tests is tagged `@testSeam <name>` and listed once, in docs/architecture.md's "Test seams". */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'vitest';

const ROOT = path.resolve(__dirname, '..');

test('the @testSeam tags in production code and the table in docs/architecture.md name the same seams', () => {
  const tagged = new Map<string, string[]>();
  for (const dir of ['services', 'instrumentation', 'telemetry-bridge']) {
    for (const f of readdirSync(path.join(ROOT, dir), { recursive: true }) as string[]) {
      const rel = path.posix.join(dir, f.split(path.sep).join('/'));
      if (!rel.endsWith('.ts') || rel.endsWith('.test.ts')) continue;
      for (const m of readFileSync(path.join(ROOT, rel), 'utf8').matchAll(/@testSeam ([a-z0-9-]+)/g)) {
        tagged.set(m[1], [...(tagged.get(m[1]) ?? []), rel]);
      }
    }
  }
  const doc = readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
  // The section alone: later sections have tables of their own (the lifecycle's transitions).
  const from = doc.indexOf('## Test seams');
  const next = doc.indexOf('\n## ', from + 1);
  const section = doc.slice(from, next === -1 ? undefined : next);
  const listed = [...section.matchAll(/^\| `([a-z0-9-]+)` *\|/gm)].map((m) => m[1]);
  assert.ok(listed.length >= 5, `found ${listed.length} rows`);
  assert.deepEqual([...tagged.keys()].sort(), [...listed].sort());
  // Each row names the files that carry its tag.
  for (const [name, files] of tagged) {
    const row = section.split('\n').find((l) => l.startsWith(`| \`${name}\``)) ?? '';
    for (const file of files) assert.ok(row.includes(path.posix.basename(file)), `${name}: ${file} is not named in its row`);
  }
});
