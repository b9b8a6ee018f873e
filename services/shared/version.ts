/**
 * The service's version: from the nearest package.json named render-o11y above this file, which is
 * the repository's when running from source and dist/package.json in the compiled build.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

/** The release version (package.json `version`), or 'unknown' when no package.json is found. */
export function serviceVersion(): string {
  if (cached) return cached;
  cached = 'unknown';
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'render-o11y' && pkg.version) {
        cached = pkg.version;
        break;
      }
    } catch {
      // no package.json here: keep walking up
    }
    if (path.dirname(dir) === dir) break;
  }
  return cached;
}
