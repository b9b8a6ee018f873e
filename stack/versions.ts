/**
 * Reads stack/versions.env, the one list of the stack's versions (scripts/stack-bin.sh sources the
 * same file), and spells a release the way its Go module does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const VERSIONS_FILE = path.join(__dirname, 'versions.env');

/** NAME_VERSION (and NAME_MODULE_VERSION, NAME_COMMIT) lines, comments and blanks skipped. */
export function readVersions(file = VERSIONS_FILE): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const m = /^([A-Z][A-Z0-9_]*)=([^\s#]+)$/.exec(t);
    if (!m) throw new Error(`${path.basename(file)}: not a NAME=value line: ${t}`);
    out[m[1]] = m[2];
  }
  return Object.freeze(out);
}

/**
 * Prometheus 3.x is published as Go module version v0.<major*100+minor>.<patch> (3.14.0 → v0.314.0):
 * its module path has no /v3.
 */
export function prometheusModuleVersion(release: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(release);
  if (!m) throw new Error(`not a release: ${release}`);
  return `v0.${Number(m[1]) * 100 + Number(m[2])}.${m[3]}`;
}
