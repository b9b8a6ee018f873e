/**
 * What no linter checks in the OpenAPI document: every operation is named and says who may call
 * it; the response headers clients rely on (Location, Idempotent-Replayed, Retry-After, WWW-Authenticate;
 * Content-Range and Accept-Ranges in render-flow.test.ts) are documented and really sent as documented;
 * and the JSON bodies of /healthz, /readyz, the summary and the metrics JSON have schemas that the
 * real answers pass.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { assertDocumentedHeaders, documentedHeaders } from '../../test/support/openapi-headers';
import { tinyDeck } from '../../test/support/jobs';
import { openApiDocument } from './openapi';
import { healthSchema, metricsJsonSchema, notReadySchema, readySchema, summarySchema } from './response-schemas';
import { startTestApi, type TestApi } from '../../test/support/api';
import { call, postJson } from '../../test/support/http';

type Op = {
  operationId?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};
const doc = openApiDocument('test') as { paths: Record<string, Record<string, Op>> };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const operations = Object.entries(doc.paths).flatMap(([p, ops]) =>
  Object.entries(ops)
    .filter(([m]) => METHODS.includes(m))
    .map(([m, op]) => ({ route: `${m.toUpperCase()} ${p}`, op })),
);
/** Routes behind a token or key when one is configured. */
const PROTECTED = /^(GET|POST|DELETE) \/api\/(jobs|metrics|admin)|^GET \/admin\/metrics$/;
/** Browser form endpoints whose success is a 303 (Post/Redirect/Get): why redocly.yaml turns operation-2xx-response off. */
const REDIRECTS = ['GET /admin', 'POST /admin/login', 'POST /admin/logout'];

describe('OpenAPI contract beyond the linter', () => {
  test('every operation has a unique operationId and a security field; protected ones name their scheme', () => {
    const ids = operations.map((o) => o.op.operationId);
    assert.ok(
      ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id)),
      ids.join(', '),
    );
    assert.equal(new Set(ids).size, ids.length);
    for (const { route, op } of operations) {
      assert.ok(Array.isArray(op.security), `${route} has no security`);
      const schemes = op.security.flatMap((s) => Object.keys(s));
      if (PROTECTED.test(route)) assert.ok(schemes.length > 0, `${route} is protected but names no scheme`);
      else assert.deepEqual(op.security, [], `${route} is public: security []`);
    }
    assert.ok(operations.filter((o) => PROTECTED.test(o.route)).length >= 10);
  });

  test('every operation has a success answer: a 2XX, or a 303 for the three form redirects', () => {
    for (const { route, op } of operations) {
      const codes = Object.keys(op.responses);
      if (REDIRECTS.includes(route)) assert.ok(codes.includes('303'), route);
      else
        assert.ok(
          codes.some((c) => /^2\d\d$/.test(c)),
          `${route}: ${codes.join(', ')}`,
        );
    }
  });

  test('the headers clients rely on are documented where they are sent', () => {
    assert.deepEqual(Object.keys(documentedHeaders('submitJob', 202)), ['Location']);
    assert.deepEqual(Object.keys(documentedHeaders('submitJob', 200)), ['Location', 'Idempotent-Replayed']);
    assert.deepEqual(Object.keys(documentedHeaders('retryJob', 202)), ['Location']);
    for (const op of ['submitJob', 'retryJob']) assert.ok('Retry-After' in documentedHeaders(op, 429), op);
    assert.ok('Retry-After' in documentedHeaders('submitJob', 503));
    assert.deepEqual(Object.keys(documentedHeaders('downloadJobOutput', 200)), ['Accept-Ranges']);
    assert.deepEqual(Object.keys(documentedHeaders('downloadJobOutput', 206)), ['Accept-Ranges', 'Content-Range']);
    assert.deepEqual(Object.keys(documentedHeaders('downloadJobOutput', 416)), ['Content-Range']);
    assert.deepEqual(Object.keys(documentedHeaders('downloadJobOutput', 302)), ['Location']);
    for (const op of ['getJob', 'listJobs', 'getMetrics', 'getAdminSummary'])
      assert.ok('WWW-Authenticate' in documentedHeaders(op, 401), op);
  });

  test('the health, readiness, summary and metrics JSON answers have their schemas in the document', () => {
    const schemaOf = (path: string, status: string) => doc.paths[path].get.responses[status].content?.['application/json']?.schema;
    assert.deepEqual(schemaOf('/healthz', '200'), { $ref: '#/components/schemas/Health' });
    assert.deepEqual(schemaOf('/readyz', '200'), { $ref: '#/components/schemas/Ready' });
    assert.deepEqual(schemaOf('/readyz', '503'), { $ref: '#/components/schemas/NotReady' });
    assert.deepEqual(schemaOf('/api/admin/summary', '200'), { $ref: '#/components/schemas/Summary' });
    assert.deepEqual(schemaOf('/api/metrics', '200'), { $ref: '#/components/schemas/MetricsJson' });
  });

  describe('live answers', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi({ env: { RENDER_SUBMIT_RATE_PER_MINUTE: '2' } });
    });
    afterAll(() => api.close());

    test('submit, replay, retry and the rate limit send their documented headers', async () => {
      const submitted = await postJson(`${api.url}/api/jobs`, tinyDeck(), { 'idempotency-key': 'contract-1' });
      assert.equal(submitted.status, 202);
      assert.deepEqual(assertDocumentedHeaders('submitJob', 202, submitted.headers), ['Location']);
      assert.equal(submitted.headers.get('location'), `/api/jobs/${submitted.body.id}`);
      const replayed = await postJson(`${api.url}/api/jobs`, tinyDeck(), { 'idempotency-key': 'contract-1' });
      assert.equal(replayed.status, 200);
      assertDocumentedHeaders('submitJob', 200, replayed.headers);
      const limited = await postJson(`${api.url}/api/jobs`, tinyDeck());
      assert.equal(limited.status, 429);
      assertDocumentedHeaders('submitJob', 429, limited.headers);
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      const cancelled = await call(`${api.url}/api/jobs/${submitted.body.id}`, { method: 'DELETE' });
      assert.equal(cancelled.status, 200);
      const retried = await call(`${api.url}/api/jobs/${submitted.body.id}/retry`, { method: 'POST' });
      assert.equal(retried.status, 202);
      assert.deepEqual(assertDocumentedHeaders('retryJob', 202, retried.headers), ['Location']);
    });

    test('health, readiness, summary and metrics JSON pass their schemas', async () => {
      const parse = (schema: { safeParse(v: unknown): { success: boolean; error?: { message: string } } }, body: unknown, what: string) => {
        const parsed = schema.safeParse(body);
        assert.ok(parsed.success, `${what}: ${parsed.error?.message} in ${JSON.stringify(body).slice(0, 500)}`);
      };
      parse(healthSchema, (await call(`${api.url}/healthz`)).body, 'healthz');
      parse(readySchema, (await call(`${api.url}/readyz`)).body, 'readyz');
      parse(summarySchema, (await call(`${api.url}/api/admin/summary?range=1h`)).body, 'summary');
      parse(metricsJsonSchema, (await call(`${api.url}/api/metrics?format=json`)).body, 'metrics');
      parse(notReadySchema, { status: 'unavailable', reason: 'draining: the process is shutting down' }, 'not ready');
    });
  });
});
