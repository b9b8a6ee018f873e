/**
 * The OpenTelemetry packages stay one aligned release line: package-lock.json holds a single
 * version of each @opentelemetry/* package (two copies of the API or SDK would split globals and
 * instrument registries), and every @opentelemetry/* package the code imports is declared in
 * package.json, production code's among `dependencies`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string }>;
};

/** Every version of each package the lock file installs, by package name. */
function installedVersions(scope: string): Map<string, Set<string>> {
  const versions = new Map<string, Set<string>>();
  for (const [where, entry] of Object.entries(lock.packages)) {
    const name = where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (!where.includes('node_modules/') || !name.startsWith(`${scope}/`) || !entry.version) continue;
    if (!versions.has(name)) versions.set(name, new Set());
    versions.get(name)!.add(entry.version);
  }
  return versions;
}

/** The package a bare specifier names (`@scope/name/sub` -> `@scope/name`). */
const packageOf = (specifier: string) => specifier.split('/').slice(0, 2).join('/');

const isTest = (rel: string) => /\.test\.ts$|(^|\/)fixtures\/|(^|\/)testing\.ts$/.test(rel);

function tsFiles(dir: string): string[] {
  return (fs.readdirSync(path.join(ROOT, dir), { recursive: true }) as string[])
    .map((f) => path.posix.join(dir, f.split(path.sep).join('/')))
    .filter((f) => f.endsWith('.ts') && !f.includes('node_modules/'));
}

describe('OpenTelemetry dependencies', () => {
  it('one installed version of each @opentelemetry package', () => {
    const versions = installedVersions('@opentelemetry');
    assert.ok(versions.has('@opentelemetry/api') && versions.has('@opentelemetry/sdk-node'));
    const duplicated = [...versions].filter(([, v]) => v.size > 1).map(([name, v]) => `${name}: ${[...v].join(', ')}`);
    assert.deepEqual(duplicated, []);
  });

  it('the lock file is what package.json pins', () => {
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      if (name.startsWith('@opentelemetry/')) assert.equal(lock.packages[`node_modules/${name}`]?.version, version, name);
    }
  });

  it('every imported @opentelemetry package is declared; production code only uses dependencies', () => {
    const missing: string[] = [];
    for (const dir of ['services', 'instrumentation', 'telemetry-bridge', 'test', 'bench']) {
      for (const file of tsFiles(dir)) {
        const production = !isTest(file) && ['services', 'instrumentation', 'telemetry-bridge'].includes(dir);
        const declared = production ? pkg.dependencies : { ...pkg.dependencies, ...pkg.devDependencies };
        for (const { fileName } of ts.preProcessFile(fs.readFileSync(path.join(ROOT, file), 'utf8'), true, true).importedFiles) {
          if (fileName.startsWith('@opentelemetry/') && !(packageOf(fileName) in declared)) missing.push(`${file}: ${fileName}`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });
});
