/**
 * Property-based test of the whole HTTP surface: at least 10,000 generated requests (methods, paths,
 * ids, query strings, headers, content types, bodies) against the real API. Every answer must be a
 * success or a documented error with a stable code; never a 500, and the server keeps answering.
 */
import { afterAll, beforeAll, test } from 'vitest';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { HTTP_ERROR_CODES } from '../shared/errors';
import { startTestApi, type TestApi } from '../../test/support/api';
import { postJson } from '../../test/support/http';

const RUNS = 10_000;

/** Every error code the API documents (the registry, from which the README's table and the OpenAPI document come), but a bug's. */
const DOCUMENTED_CODES = new Set<string>(HTTP_ERROR_CODES.filter((c) => c !== 'INTERNAL_ERROR'));
const DOCUMENTED_503 = new Set(['QUEUE_FULL', 'QUEUE_UNAVAILABLE', 'STORAGE_UNAVAILABLE']);

let api: TestApi;
let knownId = '';
const agent = new Agent({ connections: 8 });

beforeAll(async () => {
  api = await startTestApi({
    env: {
      RENDER_API_KEYS: 'alice:alice-token,bob:bob-token',
      ADMIN_TOKEN: 'admin-token',
      RENDER_SUBMIT_RATE_PER_MINUTE: '100000',
      RENDER_MAX_ACTIVE_JOBS_PER_CLIENT: '100000',
      RENDER_MAX_QUEUED_JOBS: '200',
      RENDER_ALLOW_PRIVATE_URLS: 'false',
    },
  });
  const { body } = await postJson(
    `${api.url}/api/jobs`,
    { title: 'seed', slides: [{ title: 'a' }] },
    { authorization: 'Bearer alice-token' },
  );
  knownId = body.id;
});
afterAll(async () => {
  await agent.close();
  await api?.close();
});

const text = fc.string({ maxLength: 40 });
const id = fc.oneof(
  fc.constant('KNOWN'),
  fc.uuid(),
  text.filter((s) => s.length > 0),
  fc.constantFrom('..', '%2e%2e', '%00', 'a%2Fb', '%E2%82', "'; DROP TABLE jobs;--", 'x'.repeat(600)),
);
const path = fc.oneof(
  fc.constantFrom(
    '/api/jobs',
    '/api/jobs/',
    '/api/openapi.json',
    '/healthz',
    '/readyz',
    '/api/metrics',
    '/api/admin/summary',
    '/admin/metrics',
    '/admin',
    '/admin/login',
    '/admin/logout',
    '/admin/static/admin.css',
    '/',
  ),
  id.map((i) => `/api/jobs/${i}`),
  id.map((i) => `/api/jobs/${i}/output`),
  id.map((i) => `/api/jobs/${i}/retry`),
  fc.array(text, { maxLength: 4 }).map((parts) => `/${parts.map(encodeURIComponent).join('/')}`),
);
const queryValue = fc.oneof(
  text,
  fc.integer().map(String),
  fc.constantFrom('queued', 'failed', '1h', '24h', '7d', '0', '-1', '101', 'json', 'NaN'),
);
const query = fc.dictionary(
  fc.constantFrom('status', 'limit', 'cursor', 'range', 'format', 'refresh', 'lang', 'x', 'limit[]'),
  queryValue,
  { maxKeys: 4 },
);
const header = (values: fc.Arbitrary<string>) => fc.option(values, { nil: undefined });
const deckLike = fc.record(
  {
    title: fc.oneof(text, fc.integer(), fc.constant(null)),
    slides: fc.oneof(
      fc.array(
        fc.record(
          {
            title: text,
            content: text,
            duration: fc.oneof(fc.double(), fc.integer({ min: -10, max: 1000 })),
            transition: fc.constantFrom('fade', 'none', 'wipe'),
            narration: text,
            imageUrl: fc.oneof(
              fc.webUrl(),
              fc.constantFrom(
                'http://127.0.0.1/x.png',
                'http://[::1]/a',
                'http://2130706433/',
                'file:///etc/passwd',
                'javascript:alert(1)',
              ),
              text,
            ),
            audioUrl: fc.oneof(fc.webUrl(), text),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
      fc.anything(),
    ),
    config: fc.oneof(
      fc.record(
        {
          width: fc.integer({ min: -10, max: 5000 }),
          height: fc.integer(),
          fps: fc.integer(),
          quality: fc.constantFrom('low', 'ultra'),
          voice: text,
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    ),
    webhookUrl: fc.oneof(fc.webUrl(), text),
  },
  { requiredKeys: [] },
);
/** Decks that pass validation, so submissions, caps, idempotent replays and job actions are exercised too. */
const validDeck = fc
  .record({
    title: fc.string({ minLength: 1, maxLength: 30 }),
    slides: fc.array(
      fc.record({
        title: fc.string({ maxLength: 30 }),
        content: fc.string({ maxLength: 60 }),
        duration: fc.integer({ min: 1, max: 30 }),
        transition: fc.constantFrom('fade', 'none'),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    config: fc.record({
      width: fc.constantFrom(160, 320),
      height: fc.constantFrom(90, 180),
      fps: fc.integer({ min: 1, max: 30 }),
      quality: fc.constantFrom('low', 'medium'),
    }),
  })
  .map((d) => JSON.stringify(d));
const body = fc.oneof(
  { arbitrary: validDeck, weight: 3 },
  fc.constant(undefined),
  fc.json({ maxDepth: 3 }),
  deckLike.map((d) => JSON.stringify(d)),
  text,
  fc.constantFrom('{', '[]', 'null', '"x"', '{"title":"a","slides":[{}]}', '\u0000\uffff', 'x'.repeat(1_100_000)),
);
const requests = fc.record({
  method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'),
  path,
  query,
  body,
  contentType: header(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      '*/*',
      '',
    ),
  ),
  // Mostly valid keys, so most requests get past authentication to the handlers.
  authorization: fc.oneof(
    { arbitrary: fc.constantFrom('Bearer alice-token', 'Bearer bob-token'), weight: 6 },
    {
      arbitrary: header(fc.constantFrom('Bearer admin-token', 'Bearer wrong', 'Bearer', 'Basic YTpi', 'bearer  alice-token ', '')),
      weight: 4,
    },
  ),
  idempotencyKey: header(fc.oneof(text, fc.uuid())),
  range: header(fc.constantFrom('bytes=0-10', 'bytes=-5', 'bytes=999999-', 'bytes=abc', 'items=1-2')),
  accept: header(fc.constantFrom('application/json', 'text/html', 'application/openmetrics-text; version=1.0.0', '*/*', 'garbage/;;')),
  acceptLanguage: header(fc.constantFrom('pt-BR', 'en', 'xx', '*', ';;;')),
  contentEncoding: header(fc.constantFrom('gzip', 'identity', 'br', 'bogus')),
});

/** A quarter of the requests are submissions (JSON POST /api/jobs) so the queue fills past RENDER_MAX_QUEUED_JOBS. */
const traffic = fc.oneof(
  { arbitrary: requests.map((r) => ({ ...r, method: 'POST' as const, path: '/api/jobs', contentType: 'application/json' })), weight: 1 },
  { arbitrary: requests, weight: 3 },
);

type Gen = typeof requests extends fc.Arbitrary<infer T> ? T : never;

async function send(r: Gen): Promise<{ status: number; body: string; contentType: string }> {
  const qs = new URLSearchParams(r.query).toString();
  const target = `${api.url}${r.path.replace('KNOWN', knownId)}${qs ? `?${qs}` : ''}`;
  const headers: Record<string, string> = {};
  if (r.contentType !== undefined) headers['content-type'] = r.contentType;
  if (r.authorization !== undefined) headers.authorization = r.authorization;
  if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey.replace(/[^\x20-\x7e]/g, '?');
  if (r.range !== undefined) headers.range = r.range;
  if (r.accept !== undefined) headers.accept = r.accept;
  if (r.acceptLanguage !== undefined) headers['accept-language'] = r.acceptLanguage;
  if (r.contentEncoding !== undefined) headers['content-encoding'] = r.contentEncoding;
  const withBody = r.body !== undefined && !['GET', 'HEAD'].includes(r.method);
  const res = await request(target, {
    dispatcher: agent,
    method: r.method as 'GET',
    headers,
    body: withBody ? r.body : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text, contentType: String(res.headers['content-type'] ?? '') };
}

test(`${RUNS} generated requests across every endpoint: never a 500, only documented errors`, { timeout: 600_000 }, async () => {
  let tried = 0;
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(traffic, async (r: Gen) => {
      tried++;
      const res = await send(r);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert.ok(res.status < 500 || res.status === 503, `${r.method} ${r.path} answered ${res.status}: ${res.body.slice(0, 300)}`);
      const isApi = r.path.startsWith('/api/') || r.path === '/healthz' || r.path === '/readyz';
      if (res.status >= 400 && isApi && r.method !== 'HEAD' && res.contentType.includes('application/json')) {
        const code = (JSON.parse(res.body) as { error?: { code?: string } }).error?.code ?? '';
        assert.ok(DOCUMENTED_CODES.has(code), `${r.method} ${r.path}: undocumented code ${JSON.stringify(code)} (${res.status})`);
        if (res.status === 503) assert.ok(DOCUMENTED_503.has(code), `503 with ${code}`);
      } else if (res.status === 503) {
        assert.ok(r.path === '/readyz', `${r.method} ${r.path} answered 503 without a documented code`);
      }
    }),
    { numRuns: RUNS, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31), endOnFailure: true },
  );
  // The server still answers normally afterwards.
  const health = await request(`${api.url}/healthz`, { dispatcher: agent });
  await health.body.text();
  assert.equal(health.statusCode, 200);
  console.log(`property test: ${tried} requests tried; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  assert.ok(tried >= RUNS);
});
