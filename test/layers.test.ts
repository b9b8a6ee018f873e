/**
 * Layers import downwards (docs/architecture.md), every rule of it: this test reads every TypeScript
 * file's imports (static, `export … from`, `require()` and `import()`, as the TypeScript scanner finds
 * them) and fails on any that crosses a forbidden boundary. Production files are held to the layer
 * table; tests and their helpers (`test/support/`) to the one rule that binds them too: an API test
 * never loads the worker, nor a worker test the API, whatever helper it goes through.
 *
 * The checker is a function of a file graph (`checkLayers`), so the tests below also feed it graphs
 * with a violation planted and see it fail.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');

/** Repository-relative path → source text. */
type SourceGraph = Map<string, string>;

/** The layers of services/, lowest first; a layer may import its own and the ones listed. */
const LAYERS = {
  shared: { dir: 'services/shared', may: [] },
  queue: { dir: 'services/queue', may: ['shared'] },
  storage: { dir: 'services/storage', may: ['shared'] },
  telemetry: { dir: 'services/telemetry', may: ['shared', 'queue', 'storage'] },
  // The lifecycle layer: above queue and storage (and app telemetry), below api and worker.
  jobs: { dir: 'services/jobs', may: ['shared', 'queue', 'storage', 'telemetry'] },
  api: { dir: 'services/api', may: ['shared', 'queue', 'storage', 'telemetry', 'jobs'] },
  worker: { dir: 'services/worker', may: ['shared', 'queue', 'storage', 'telemetry', 'jobs'] },
} as const satisfies Record<string, { dir: string; may: readonly string[] }>;
type Layer = keyof typeof LAYERS;

/** Entry points: they assemble the layers and may import any of them. */
const ENTRY_POINTS = ['services/process/', 'services/cli/', 'services/main.ts', 'services/api/main.ts', 'services/worker/main.ts'];

/**
 * Imports that break a rule today and are being removed on another branch, each with its reason.
 * The test fails when one is no longer there, so the list cannot outlive its reason.
 */
const KNOWN_EXCEPTIONS: Record<string, string> = {};

const under = (rel: string, dir: string) => rel === dir || rel.startsWith(`${dir}/`);
const isTest = (rel: string) => rel.endsWith('.test.ts');
const isHelper = (rel: string) => under(rel, 'test');
const isProduction = (rel: string) => !isTest(rel) && !isHelper(rel);
const isEntryPoint = (rel: string) => ENTRY_POINTS.some((e) => (e.endsWith('/') ? rel.startsWith(e) : rel === e));

/** The layer of a services/ file (entry points have none). */
function layerOf(rel: string): Layer | null {
  if (isEntryPoint(rel)) return null;
  for (const [name, l] of Object.entries(LAYERS)) if (under(rel, l.dir)) return name as Layer;
  return null;
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

/** The graph file a relative target names (`x` → `x.ts` or `x/index.ts`), or the target itself. */
function resolveIn(graph: SourceGraph, t: string): string {
  for (const candidate of [t, `${t}.ts`, `${t}/index.ts`]) if (graph.has(candidate)) return candidate;
  return t;
}

/** One production file's violations of the layer table and the SDK/bridge/test rules. */
function productionViolations(file: string, source: string): string[] {
  const out: string[] = [];
  const from = layerOf(file);
  for (const s of importsOf(source)) {
    const t = target(file, s);
    const edge = `${file} -> ${s}`;
    if (t === null) {
      if (s === 'vitest' || s.startsWith('@vitest/')) out.push(`${edge} (production code imports the test runner)`);
      if (under(file, 'telemetry-bridge') && s !== '@opentelemetry/api' && !s.startsWith('node:')) {
        out.push(`${edge} (the bridge imports only @opentelemetry/api and node builtins)`);
      }
      continue;
    }
    if (under(t, 'test')) out.push(`${edge} (production code imports a test helper)`);
    if (under(file, 'instrumentation') && under(t, 'services')) out.push(`${edge} (instrumentation/ knows nothing of services/)`);
    if (under(file, 'telemetry-bridge') && !under(t, 'telemetry-bridge')) out.push(`${edge} (the bridge imports only itself)`);
    if (from === null || !under(t, 'services')) continue;
    if (isEntryPoint(t) || isEntryPoint(`${t}.ts`)) {
      out.push(`${edge} (${from} imports an entry point)`);
      continue;
    }
    const to = layerOf(t);
    if (to === null || to === from) continue;
    if (!(LAYERS[from].may as readonly string[]).includes(to)) out.push(`${edge} (${from} may not import ${to})`);
  }
  return out;
}

/** Every file `start` loads, through any chain of relative imports within the graph. */
function closure(graph: SourceGraph, start: string): Map<string, string[]> {
  const via = new Map<string, string[]>([[start, [start]]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    for (const s of importsOf(graph.get(file) ?? '')) {
      const t = target(file, s);
      if (t === null) continue;
      const next = resolveIn(graph, t);
      if (via.has(next)) continue;
      via.set(next, [...(via.get(file) as string[]), next]);
      if (graph.has(next)) queue.push(next);
    }
  }
  return via;
}

/** A test of one side (api or worker) that reaches the other side, directly or through helpers. */
function crossSideViolations(graph: SourceGraph, file: string): string[] {
  const side = under(file, 'services/api') ? 'api' : under(file, 'services/worker') ? 'worker' : null;
  if (side === null) return [];
  const other = side === 'api' ? 'services/worker' : 'services/api';
  const out: string[] = [];
  for (const [reached, chain] of closure(graph, file)) {
    if (under(reached, other) || reached === `${other}.ts`) out.push(`${chain.join(' -> ')} (a ${side} test loads ${other}/)`);
  }
  return out.slice(0, 1);
}

/** Every violation in `graph`, known exceptions left out; `stale` lists exceptions no longer found. */
function checkLayers(graph: SourceGraph): { violations: string[]; stale: string[] } {
  const found: string[] = [];
  for (const [file, source] of graph) {
    if (isProduction(file)) found.push(...productionViolations(file, source));
    else if (isTest(file)) found.push(...crossSideViolations(graph, file));
  }
  const edge = (v: string) => v.replace(/ \(.*\)$/, '');
  const violations = found.filter((v) => !(edge(v) in KNOWN_EXCEPTIONS));
  const seen = new Set(found.map(edge));
  return { violations, stale: Object.keys(KNOWN_EXCEPTIONS).filter((k) => !seen.has(k)) };
}

/** The repository's TypeScript files under the folders the rules speak of. */
function repositoryGraph(): SourceGraph {
  const graph: SourceGraph = new Map();
  for (const dir of ['services', 'instrumentation', 'telemetry-bridge', 'test']) {
    for (const f of fs.readdirSync(path.join(ROOT, dir), { recursive: true }) as string[]) {
      const rel = path.posix.join(dir, f.split(path.sep).join('/'));
      if (rel.endsWith('.ts') && !rel.includes('node_modules/')) graph.set(rel, fs.readFileSync(path.join(ROOT, rel), 'utf8'));
    }
  }
  return graph;
}

describe('layers import downwards', () => {
  const repo = repositoryGraph();

  it('the repository keeps every rule of docs/architecture.md', () => {
    assert.ok(repo.size > 200, `only ${repo.size} files read`);
    const { violations, stale } = checkLayers(repo);
    assert.deepEqual(violations, []);
    assert.deepEqual(stale, [], 'a known exception is gone: delete it from KNOWN_EXCEPTIONS');
  });

  it('sees every import form and resolves relative paths', () => {
    const src = [
      "import { a } from '../services/telemetry/metrics';",
      "import type { B } from '../services/shared/job';",
      "export { c } from '../services/queue';",
      "const d = require('../services/api/main');",
      "void import('../services/worker/main');",
      "import { e } from './env';",
      "import { f } from '@opentelemetry/api';",
    ].join('\n');
    assert.equal(productionViolations('instrumentation/x.ts', src).length, 5);
    // A sibling folder whose name merely starts like a layer's is not that layer.
    assert.deepEqual(productionViolations('services/worker/x.ts', "import { g } from '../api-client/g';"), []);
    assert.deepEqual(
      productionViolations('telemetry-bridge/x.ts', "import { h } from '@opentelemetry/sdk-metrics';\nimport { i } from './meter';"),
      ['telemetry-bridge/x.ts -> @opentelemetry/sdk-metrics (the bridge imports only @opentelemetry/api and node builtins)'],
    );
  });

  it('fails on each upward import of the layer table, including into the lifecycle layer', () => {
    const planted: [string, string][] = [
      ['services/shared/x.ts', '../queue/contract'],
      ['services/shared/x.ts', '../jobs/lifecycle'],
      ['services/queue/x.ts', '../storage/contract'],
      ['services/storage/x.ts', '../queue/contract'],
      ['services/queue/x.ts', '../jobs/lifecycle'],
      ['services/storage/x.ts', '../jobs/lifecycle'],
      ['services/telemetry/x.ts', '../jobs/lifecycle'],
      ['services/jobs/x.ts', '../api/app'],
      ['services/jobs/x.ts', '../worker/runner'],
      ['services/worker/x.ts', '../api/app'],
      ['services/api/x.ts', '../worker/runner'],
      ['services/api/x.ts', '../main'],
      ['services/worker/x.ts', '../process/service'],
      ['services/api/x.ts', '../../test/support/http'],
      ['instrumentation/x.ts', '../services/shared/job'],
    ];
    for (const [file, spec] of planted) {
      assert.equal(productionViolations(file, `import { x } from '${spec}';`).length, 1, `${file} -> ${spec}`);
    }
    // And what the table allows passes: jobs over queue and storage, api and worker over jobs, entry points over all.
    for (const [file, spec] of [
      ['services/jobs/x.ts', '../queue/contract'],
      ['services/jobs/x.ts', '../storage/contract'],
      ['services/api/x.ts', '../jobs/lifecycle'],
      ['services/worker/x.ts', '../jobs/lifecycle'],
      ['services/main.ts', './worker/runtime'],
      ['services/api/main.ts', '../process/service'],
    ]) {
      assert.deepEqual(productionViolations(file, `import { x } from '${spec}';`), [], `${file} -> ${spec}`);
    }
  });

  it('fails on an api -> worker import placed in a test helper an API test uses', () => {
    const graph = new Map(repo);
    graph.set(
      'test/support/planted-helper.ts',
      "import { runAttempt } from '../../services/worker/runner';\nexport const x = runAttempt;\n",
    );
    graph.set('services/api/planted.test.ts', "import { x } from '../../test/support/planted-helper';\nvoid x;\n");
    const { violations } = checkLayers(graph);
    assert.deepEqual(violations, [
      'services/api/planted.test.ts -> test/support/planted-helper.ts -> services/worker/runner.ts (a api test loads services/worker/)',
    ]);
    // Two helpers deep, and through the embedded entry point (API + worker), it is caught as well.
    const deeper = new Map(repo);
    deeper.set('test/support/planted-outer.ts', "export * from './planted-inner';\n");
    deeper.set('test/support/planted-inner.ts', "export { startEmbedded } from '../../services/main';\n");
    deeper.set('services/api/planted.test.ts', "import { startEmbedded } from '../../test/support/planted-outer';\nvoid startEmbedded;\n");
    const found = checkLayers(deeper).violations;
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(
      found[0],
      /^services\/api\/planted\.test\.ts -> test\/support\/planted-outer\.ts -> test\/support\/planted-inner\.ts -> services\/main\.ts -> .*services\/worker\//,
    );
    // The same in the other direction.
    const back = new Map(repo);
    back.set('services/worker/planted.test.ts', "import { startTestApi } from '../../test/support/api';\nvoid startTestApi;\n");
    assert.equal(checkLayers(back).violations.length, 1);
  });

  it('no production build input is a test helper or imports one', () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      path.join(ROOT, 'tsconfig.build.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(String(d.messageText));
        },
      },
    );
    assert.ok(config && config.fileNames.length > 100);
    const inputs = config.fileNames.map((f) => path.relative(ROOT, f).split(path.sep).join('/'));
    assert.deepEqual(
      inputs.filter((f) => isTest(f) || isHelper(f) || /test-(support|helpers)|fixture|(^|\/)testing\.ts$/.test(f)),
      [],
    );
  });
});
