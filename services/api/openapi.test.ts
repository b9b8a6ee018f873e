/**
 * The OpenAPI description against the app itself: every route the Express app serves is
 * documented with its method, every documented error code is one the code really produces, and
 * the document is served at /api/openapi.json.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import pino from 'pino';
import { loadConfig } from '../shared/config';
import { createApp } from './app';
import { COMMON_ERROR_CODES, openApiDocument } from './openapi';
import { startTestApi, type TestApi } from './test-helpers';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: string | string[];
}

/** Every (METHOD, OpenAPI path) the app routes, read from Express's own router stack. */
function servedRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const full = `${prefix}${layer.route.path === '/' ? '' : layer.route.path}` || '/';
        for (const method of Object.keys(layer.route.methods)) found.push(`${method.toUpperCase()} ${full.replace(/:(\w+)/g, '{$1}')}`);
      } else if (layer.handle.stack) {
        const raw = typeof layer.rawPath === 'string' ? layer.rawPath : '';
        walk(layer.handle.stack, `${prefix}${raw === '/' ? '' : raw}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found.sort();
}

/** Every UPPER_CASE string literal in the service's non-test source: the codes it can produce. */
function codesInSource(): Set<string> {
  const codes = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/'([A-Z][A-Z0-9_]{2,})'/g)) codes.add(m[1]);
      }
    }
  };
  walk(path.resolve(__dirname, '..'));
  return codes;
}

const doc = openApiDocument('test') as { openapi: string; paths: Record<string, Record<string, unknown>> };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

describe('OpenAPI description', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ worker: false });
  });
  afterAll(() => api.close());

  test('every route the app serves is documented with its method', () => {
    const app = createApp({
      config: loadConfig({}),
      backend: {} as never,
      lifecycle: {} as never,
      storage: {} as never,
      logger: pino({ level: 'silent' }),
    });
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.keys(ops)
          .filter((k) => METHODS.includes(k))
          .map((m) => `${m.toUpperCase()} ${p}`),
      ),
    );
    const served = servedRoutes(app);
    assert.ok(served.length >= 15, `found ${served.length} routes: ${served.join(', ')}`);
    const missing = served.filter((r) => !documented.has(r));
    assert.deepEqual(missing, [], `served but not documented: ${missing.join(', ')}`);
    const extra = [...documented].filter((r) => !served.includes(r));
    assert.deepEqual(extra, [], `documented but not served: ${extra.join(', ')}`);
  });

  test('every documented error code is produced somewhere in the service', () => {
    const inSource = codesInSource();
    const documented = new Set<string>(COMMON_ERROR_CODES);
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops) as { responses?: Record<string, { 'x-error-codes'?: string[] }> }[]) {
        for (const r of Object.values(op.responses ?? {})) for (const c of r['x-error-codes'] ?? []) documented.add(c);
      }
    }
    assert.ok(documented.size >= 15, [...documented].join(', '));
    const unknown = [...documented].filter((c) => !inSource.has(c));
    assert.deepEqual(unknown, [], `documented codes nothing produces: ${unknown.join(', ')}`);
  });

  test('is served as OpenAPI 3.1 with the deck schema from the validator', async () => {
    const res = await fetch(`${api.url}/api/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await res.json()) as {
      openapi: string;
      components: { schemas: { RenderRequest: { properties: Record<string, unknown> } } };
    };
    assert.equal(body.openapi, '3.1.0');
    assert.ok('slides' in body.components.schemas.RenderRequest.properties);
    assert.ok('config' in body.components.schemas.RenderRequest.properties);
  });
});
