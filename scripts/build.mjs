#!/usr/bin/env node
// `npm run build`: compiles services/, instrumentation/ and telemetry-bridge/ to CommonJS JavaScript in dist/, copies the
// non-TypeScript files the code reads at run time, and writes dist/package.json (the version the
// resource reports, and CommonJS for every .js below it).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});

// Assets next to the code that reads them (e.g. the admin page's stylesheet).
const ASSET = /\.(css|html|json)$/;
const copyAssets = (dir) => {
  for (const name of readdirSync(path.join(root, dir))) {
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) {
      copyAssets(rel);
    } else if (ASSET.test(name)) {
      mkdirSync(path.join(dist, dir), { recursive: true });
      cpSync(path.join(root, rel), path.join(dist, rel));
    }
  }
};
for (const dir of ['services', 'instrumentation']) copyAssets(dir);

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
writeFileSync(
  path.join(dist, 'package.json'),
  `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: 'commonjs' }, null, 2)}\n`,
);
console.log(`build: dist/ ready (${pkg.name} ${pkg.version})`);
