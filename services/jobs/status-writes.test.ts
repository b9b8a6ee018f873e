/**
 * Only the lifecycle layer changes a job's status. By type: a `JobPatch` cannot carry a status, so
 * `JobStore.update`/`patchState` cannot set one, and the one status write (`JobStore.transition`)
 * takes a `StatusChange` that only the status machine builds. By source: no file outside
 * services/jobs/ calls `transition` or builds a `statusChange`, except the stores that implement it
 * and the store's own tests, and no call of `update`/`patchState` anywhere passes a `status`.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');

/** Compiles each of `sources` as a file of services/jobs/ (one program for all) and returns each one's type errors. */
function typeErrors(sources: string[]): string[][] {
  const probes = sources.map((_, i) => path.join(ROOT, `services/jobs/status-probe-${i}.ts`));
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => {},
    },
  );
  assert.ok(parsed);
  const options = { ...parsed.options, noEmit: true, skipLibCheck: true };
  const host = ts.createCompilerHost(options);
  const text = new Map(probes.map((p, i) => [p, sources[i]!]));
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (file, lang, ...rest) => {
    const probe = text.get(path.resolve(file));
    return probe !== undefined ? ts.createSourceFile(file, probe, lang) : read(file, lang, ...rest);
  };
  const exists = host.fileExists.bind(host);
  host.fileExists = (file) => text.has(path.resolve(file)) || exists(file);
  const program = ts.createProgram(probes, options, host);
  return probes.map((p) =>
    ts.getPreEmitDiagnostics(program, program.getSourceFile(p)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  );
}

test('by type: update and patchState cannot set a status; transition takes only a StatusChange from the machine', {
  timeout: 120_000,
}, () => {
  const header = `
    import type { JobStore } from '../queue/contract';
    import { statusChange } from '../shared/job';
    declare const store: JobStore;
  `;
  const allowed = [
    `void store.transition('j', statusChange('cancel'), { finishedAt: 'now' });`,
    `void store.update('j', { progress: 1 });`,
  ];
  const refused = [
    `void store.update('j', { status: 'completed' });`,
    `void store.patchState('j', { status: 'failed' }, ['processing']);`,
    `void store.transition('j', { name: 'cancel', from: ['queued'], to: 'cancelled' }, {});`,
    `void store.transition('j', statusChange('cancel'), { status: 'queued' });`,
  ];
  const errors = typeErrors([...allowed, ...refused].map((w) => `${header} ${w}`));
  for (const [i, w] of allowed.entries()) assert.deepEqual(errors[i], [], `compiles: ${w}`);
  for (const [i, w] of refused.entries()) assert.ok(errors[allowed.length + i]!.length > 0, `refused by type: ${w}`);
});

/** Production and test sources the scan reads (relative, `/`-separated). */
function sources(): string[] {
  const out: string[] = [];
  for (const dir of ['services', 'bench', 'test', 'scripts']) {
    const abs = path.join(ROOT, dir);
    if (!fs.existsSync(abs)) continue;
    for (const f of fs.readdirSync(abs, { recursive: true }) as string[]) {
      const rel = path.posix.join(dir, f.split(path.sep).join('/'));
      if (rel.endsWith('.ts') && !rel.includes('node_modules/')) out.push(rel);
    }
  }
  return out;
}

/** Where a status may be written: the lifecycle layer, the stores implementing the write, and the store's own tests. */
function mayWriteStatus(rel: string): boolean {
  return (
    rel.startsWith('services/jobs/') ||
    [
      'services/queue/embedded/sqlite-job-store.ts',
      'services/queue/bullmq/redis-job-store.ts',
      'services/queue/contract.ts',
      // The status machine's own test.
      'services/shared/job.test.ts',
    ].includes(rel) ||
    (rel.startsWith('services/queue/') && rel.endsWith('.test.ts'))
  );
}

/** `file:line what` for each status write in `source`: a `transition(` or `statusChange(` call, or an update/patchState given a `status`. */
function statusWrites(rel: string, source: string): string[] {
  const file = ts.createSourceFile(rel, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : '';
      const line = file.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      const where = `${rel}:${line}`;
      if (ts.isPropertyAccessExpression(callee) && name === 'transition') found.push(`${where} .transition(`);
      if (name === 'statusChange') found.push(`${where} statusChange(`);
      if (ts.isPropertyAccessExpression(callee) && (name === 'update' || name === 'patchState')) {
        const patch = node.arguments[1];
        const hasStatus =
          patch !== undefined &&
          ts.isObjectLiteralExpression(patch) &&
          patch.properties.some((p) => p.name !== undefined && ts.isIdentifier(p.name) && p.name.text === 'status');
        if (hasStatus) found.push(`${where} .${name}({ status })`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

test('the scanner finds each kind of status write', () => {
  const src = [
    "await store.update(id, { status: 'failed', error });",
    "await backend.store.patchState(id, { progress: 1, status: 'queued' });",
    "await store.transition(id, statusChange('cancel'), {});",
    'await store.update(id, { progress: 1 });',
    "const status = 'x'; log({ status });",
  ].join('\n');
  assert.deepEqual(statusWrites('x.ts', src), [
    'x.ts:1 .update({ status })',
    'x.ts:2 .patchState({ status })',
    'x.ts:3 .transition(',
    'x.ts:3 statusChange(',
  ]);
});

test('by source: no file outside services/jobs/ (and the stores with their tests) writes a status', () => {
  const files = sources();
  assert.ok(files.includes('services/worker/runner.ts') && files.includes('services/api/routes/job-actions.ts'));
  const found = files.filter((f) => !mayWriteStatus(f)).flatMap((f) => statusWrites(f, fs.readFileSync(path.join(ROOT, f), 'utf8')));
  assert.deepEqual(found, []);
  // And nowhere at all, not even in the lifecycle layer, is a status passed to update/patchState.
  const anywhere = files
    .flatMap((f) => statusWrites(f, fs.readFileSync(path.join(ROOT, f), 'utf8')))
    .filter((w) => w.includes('({ status })'));
  assert.deepEqual(anywhere, []);
});
