/**
 * The OpenAPI description against the app itself: every route the Express app serves is
 * documented with its method, every documented error code is the registry's under its status, and
 * the document is served at /api/openapi.json.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import type { Express } from 'express';
import pino from 'pino';
import { loadConfig } from '../shared/config';
import { createApp } from './app';
import { ERRORS, HTTP_ERROR_CODES, isErrorCode } from '../shared/errors';
import { openApiDocument } from './openapi';
import { startTestApi, type TestApi } from '../../test/support/api';

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

const doc = openApiDocument('test') as { openapi: string; paths: Record<string, Record<string, unknown>> };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

describe('OpenAPI description', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
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

  test('every error response carries registry codes of its own status, and every code the API answers is documented', () => {
    const documented = new Set<string>();
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops) as [string, { responses?: Record<string, { 'x-error-codes'?: string[] }> }][]) {
        for (const [status, r] of Object.entries(op.responses ?? {})) {
          for (const c of r['x-error-codes'] ?? []) {
            assert.ok(isErrorCode(c), `${method} ${p} ${status}: ${c} is not in the registry`);
            assert.equal(ERRORS[c].status, Number(status), `${method} ${p}: ${c} is documented under ${status}`);
            documented.add(c);
          }
        }
      }
    }
    // NOT_FOUND answers only paths the document does not have, so no operation can list it; the catalogue does.
    const undocumented = HTTP_ERROR_CODES.filter((c) => !documented.has(c) && c !== 'NOT_FOUND');
    assert.deepEqual(undocumented, [], `answered but in no operation: ${undocumented.join(', ')}`);
    assert.ok(documented.has('INVALID_PATH'));
  });

  test('the document-level catalogue is the registry', () => {
    const catalogue = (doc as unknown as { 'x-error-catalogue': { code: string; status: number }[] })['x-error-catalogue'];
    assert.deepEqual(
      catalogue.map((e) => [e.code, e.status]),
      HTTP_ERROR_CODES.map((c) => [c, ERRORS[c].status]),
    );
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
