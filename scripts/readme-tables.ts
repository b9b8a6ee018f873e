/**
 * The README's generated tables: the error codes (from the registry, `services/shared/errors/registry.ts`)
 * and the environment variables (from the config schema, `services/shared/config.ts`). Each sits
 * between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`; `test/readme-tables.test.ts` fails
 * while the README differs, and `make readme` (this file with `--write`) rewrites them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES } from '../services/shared/config';
import { ERRORS, HTTP_ERROR_CODES, JOB_ERROR_CODES } from '../services/shared/errors/registry';

export const README = path.resolve(__dirname, '..', 'README.md');

/** A Markdown table padded the way the README's hand-written ones are. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, 3, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** Every code an HTTP answer can carry, by status. */
export function httpErrorTable(): string {
  const rows = [...HTTP_ERROR_CODES]
    .sort((a, b) => ERRORS[a].status - ERRORS[b].status)
    .map((c) => [String(ERRORS[c].status), `\`${c}\``, ERRORS[c].doc]);
  return markdownTable(['Status', 'Code', 'When'], rows);
}

/** Every code a job's `error` can carry, with its category and whether the job is retried. */
export function jobErrorTable(): string {
  const rows = JOB_ERROR_CODES.map((c) => [`\`${c}\``, `\`${ERRORS[c].category}\``, ERRORS[c].retryable ? 'yes' : 'no', ERRORS[c].doc]);
  return markdownTable(['Code', 'Category', 'Retried', 'When'], rows);
}

/** Every environment variable, its default as users read it, and its meaning. */
export function configTable(): string {
  const rows = CONFIG_VARIABLES.map((v) => [v.names.map((n) => `\`${n}\``).join(', '), v.shownDefault, v.doc]);
  return markdownTable(['Variable', 'Default', 'Meaning'], rows);
}

const TABLES: Record<string, () => string> = { 'http-errors': httpErrorTable, 'job-errors': jobErrorTable, config: configTable };

/** `text` with every generated section replaced by its table; throws when a marker is missing. */
export function withTables(text: string): string {
  let out = text;
  for (const [name, make] of Object.entries(TABLES)) {
    const open = `<!-- generated:${name} -->`;
    const close = `<!-- /generated:${name} -->`;
    const a = out.indexOf(open);
    const b = out.indexOf(close);
    if (a < 0 || b < a) throw new Error(`README.md has no ${open} … ${close} section`);
    out = `${out.slice(0, a + open.length)}\n\n${make()}\n\n${out.slice(b)}`;
  }
  return out;
}

if (require.main === module) {
  const before = readFileSync(README, 'utf8');
  const after = withTables(before);
  if (process.argv.includes('--write')) writeFileSync(README, after);
  else if (before !== after) {
    console.error('README.md tables are out of date: run `make readme`');
    process.exit(1);
  }
}
