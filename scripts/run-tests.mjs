#!/usr/bin/env node
// Finds every *.test.ts (or the files/dirs given) and runs them with node's test runner through tsx,
// one file at a time: many tests start real servers (FFmpeg, Redis, Prometheus, Chromium).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['services', 'instrumentation', 'prometheus', 'grafana', 'otel-collector', 'test'];
const files = [];
const walk = (p) => {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) {
    for (const name of readdirSync(p)) if (name !== 'node_modules') walk(path.join(p, name));
  } else if (p.endsWith('.test.ts')) files.push(p);
};
roots.forEach(walk);
files.sort();
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test' },
});
process.exit(result.status ?? 1);
