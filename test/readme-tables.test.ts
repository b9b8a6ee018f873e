/** The README's error and configuration tables are the ones `scripts/readme-tables.ts` produces from the registry and the schema. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { README, withTables } from '../scripts/readme-tables';

test('the README tables are generated from the error registry and the config schema (make readme)', () => {
  const text = readFileSync(README, 'utf8');
  assert.ok(text.includes('<!-- generated:http-errors -->'));
  // A failure here means the README was edited by hand or the registry/schema changed: run `make readme`.
  assert.equal(text, withTables(text));
});

test('a code missing from the README table is caught', () => {
  const text = readFileSync(README, 'utf8');
  const edited = text.replace(/^\| 400 +\| `INVALID_PATH`.*\n/m, '');
  assert.notEqual(edited, text);
  assert.notEqual(edited, withTables(edited));
});
