/**
 * The HTTP API described as OpenAPI 3.1, served at `GET /api/openapi.json`. Request bodies come from
 * the zod schemas the routes validate with (zod's own JSON Schema generator), so the description
 * cannot drift from what is enforced; routes, statuses and error codes are written here and a test
 * holds them against the routes the app really serves and the codes the code really throws.
 */
import { z } from 'zod';
import { JOB_STATUSES, STAGES } from '../shared/job';
import { renderRequestSchema } from '../shared/request';
import { SUMMARY_RANGES } from '../shared/stats';
import { SESSION_COOKIE } from './auth/session';
import { healthSchema, jsonSchemaOf, metricsJsonSchema, notReadySchema, readySchema, summarySchema } from './response-schemas';
import { ERROR_CATEGORIES, ERRORS, type ErrorCode, HTTP_ERROR_CODES, JOB_ERROR_CODES } from '../shared/errors';

type Json = Record<string, unknown>;

/** Headers an error answer of this status always (`required`) or sometimes carries. */
function errorHeaders(status: number): Json | undefined {
  if (status === 401) return { 'WWW-Authenticate': { $ref: '#/components/headers/WWWAuthenticate' } };
  if (status === 429) return { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } };
  if (status === 503) return { 'Retry-After': { $ref: '#/components/headers/RetryAfterWhenFull' } };
  if (status === 416) return { 'Content-Range': { $ref: '#/components/headers/UnsatisfiedRange' } };
  return undefined;
}

/** One error response: the codes of one status it may carry; `html` codes are answered as the admin page's HTML. */
function errorResponse(status: number, codes: readonly ErrorCode[], html: readonly ErrorCode[]): Json {
  const all = [...new Set([...codes, ...html])];
  const docs = all.map((c) => `\`${c}\`: ${ERRORS[c].doc}.`).join(' ');
  const content: Json = {};
  if (codes.length > 0) {
    content['application/json'] = {
      schema: {
        allOf: [{ $ref: '#/components/schemas/Error' }],
        properties: { error: { properties: { code: { enum: [...codes] } } } },
      },
    };
  }
  if (html.length > 0) content['text/html'] = { schema: { type: 'string' } };
  // The HTML answers are pages for a browser; only the JSON answers promise these headers.
  const headers = codes.length > 0 ? errorHeaders(status) : undefined;
  return { description: docs, ...(headers ? { headers } : {}), content, 'x-error-codes': all };
}

/**
 * The error responses of an operation, grouped by each code's status in the registry; every
 * operation also carries the codes any request may meet (the HTTP parser's, a bug).
 */
export function errorResponses(codes: readonly ErrorCode[], html: readonly ErrorCode[] = []): Record<number, Json> {
  const byStatus = new Map<number, { json: ErrorCode[]; html: ErrorCode[] }>();
  const add = (code: ErrorCode, kind: 'json' | 'html') => {
    const entry = byStatus.get(ERRORS[code].status) ?? { json: [], html: [] };
    if (!entry[kind].includes(code)) entry[kind].push(code);
    byStatus.set(ERRORS[code].status, entry);
  };
  for (const code of [...codes, ...COMMON_ERROR_CODES]) add(code, 'json');
  for (const code of html) add(code, 'html');
  return Object.fromEntries(
    [...byStatus].sort(([a], [b]) => a - b).map(([status, list]) => [status, errorResponse(status, list.json, list.html)]),
  );
}

const jsonBody = (schema: Json, description: string, extra: Json = {}): Json => ({
  description,
  ...extra,
  content: { 'application/json': { schema } },
});
const jobRef = { $ref: '#/components/schemas/Job' };
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The job id (a UUID).' };
/** No credentials at all: public on purpose. */
const open: Json[] = [];
// Each token is optional in the config: without it the route is open (local development), hence `{}`.
const metricsToken = [{ metricsToken: [] }, {}];
const adminToken = [{ adminToken: [] }, {}];
const adminPage = [{ adminToken: [] }, { adminSession: [] }, {}];
// With RENDER_API_KEYS / RENDER_API_KEYS_FILE every /api/jobs* call needs its client's key.
const apiKey = [{ apiKey: [] }, {}];
const location = { Location: { $ref: '#/components/headers/JobLocation' } };

/** Where a job answer leads next (OpenAPI links: what a client, or a stateful fuzzer, can call with its id). */
function jobLinks(...operationIds: string[]): Json {
  const id = { id: '$response.body#/id' };
  return Object.fromEntries(operationIds.map((op) => [op, { operationId: op, parameters: id, description: `${op} with this job's id.` }]));
}

/** Codes any request may answer besides its own: what the HTTP parser refuses, a request too slow to arrive, a bug. */
export const COMMON_ERROR_CODES = [
  'BAD_REQUEST',
  'REQUEST_TIMEOUT',
  'HEADERS_TOO_LARGE',
  'INTERNAL_ERROR',
] as const satisfies readonly ErrorCode[];
/** Codes a request with a body may answer: the JSON parser runs before every route, the login form has its own. */
const BODY_CODES = ['INVALID_JSON', 'INVALID_BODY', 'REQUEST_ABORTED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const;
/** Codes every `/api/jobs/{id}…` route may answer: a bad path, no key, no such job, no queue. */
const JOB_CODES = ['INVALID_PATH', 'UNAUTHORIZED', 'JOB_NOT_FOUND', 'QUEUE_UNAVAILABLE'] as const;

/** The document-level catalogue of every code the API answers, from the registry (`x-error-catalogue`). */
function errorCatalogue(): Json[] {
  return HTTP_ERROR_CODES.map((code) => ({
    code,
    status: ERRORS[code].status,
    category: ERRORS[code].category,
    retryable: ERRORS[code].retryable,
    description: ERRORS[code].doc,
  }));
}

/** Builds the document; `version` is the service's. */
export function openApiDocument(version: string): Json {
  const deck = z.toJSONSchema(renderRequestSchema, { io: 'input', unrepresentable: 'any' }) as Json;
  delete deck.$schema;
  return {
    openapi: '3.1.0',
    info: {
      title: 'render-o11y',
      version,
      description:
        'Slides to narrated MP4 through FFmpeg. Every error answer is JSON `{ "error": { "code", "message" } }` with a stable code; `x-error-catalogue` lists them all.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    // Relative: the API answers wherever this document is served from (a proxy may put it under another origin).
    servers: [{ url: '/', description: 'The service that serves this document.' }],
    'x-error-catalogue': errorCatalogue(),
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A client API key (RENDER_API_KEYS / RENDER_API_KEYS_FILE) for /api/jobs*; without keys configured those routes are open.',
        },
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'ADMIN_TOKEN, for the admin summary and the admin page.',
        },
        adminSession: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description: 'The admin page session, set by the login form (POST /admin/login).',
        },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, for /api/metrics.' },
      },
      headers: {
        JobLocation: {
          description: 'The job: `/api/jobs/{id}`.',
          required: true,
          schema: { type: 'string', pattern: '^/api/jobs/[^/]+$' },
        },
        IdempotentReplayed: {
          description: '`true`: this answer repeats the job the Idempotency-Key already named.',
          required: true,
          schema: { const: 'true' },
        },
        RetryAfter: {
          description: 'Seconds to wait before trying again.',
          required: true,
          schema: { type: 'string', pattern: '^[1-9][0-9]*$' },
        },
        RetryAfterWhenFull: {
          description: 'With `QUEUE_FULL`: seconds to wait before trying again.',
          schema: { type: 'string', pattern: '^[1-9][0-9]*$' },
        },
        WWWAuthenticate: { description: 'The bearer challenge.', required: true, schema: { type: 'string', pattern: '^Bearer ' } },
        AcceptRanges: { description: 'Byte ranges are served.', required: true, schema: { const: 'bytes' } },
        ContentRange: {
          description: 'The range sent: `bytes start-end/size`.',
          required: true,
          schema: { type: 'string', pattern: '^bytes [0-9]+-[0-9]+/[0-9]+$' },
        },
        UnsatisfiedRange: {
          description: 'The video size: `bytes */size`.',
          required: true,
          schema: { type: 'string', pattern: '^bytes \\*/[0-9]+$' },
        },
        PresignedLocation: { description: 'A presigned URL of the video.', required: true, schema: { type: 'string' } },
        AdminLocation: { description: 'The admin page.', required: true, schema: { type: 'string' } },
      },
      schemas: {
        RenderRequest: deck,
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { enum: [...HTTP_ERROR_CODES] }, message: { type: 'string' }, details: {} },
            },
          },
        },
        JobError: {
          type: ['object', 'null'],
          properties: {
            code: { enum: [...JOB_ERROR_CODES] },
            category: { enum: [...ERROR_CATEGORIES] },
            message: { type: 'string' },
            retryable: { type: 'boolean' },
          },
        },
        Job: {
          type: 'object',
          required: ['id', 'title', 'status', 'progress', 'attempts', 'maxAttempts', 'createdAt', 'slides'],
          properties: {
            id: { type: 'string' },
            title: { type: 'string' },
            status: { enum: [...JOB_STATUSES] },
            stage: { enum: [...STAGES, null] },
            progress: { type: 'number', minimum: 0, maximum: 1 },
            attempts: { type: 'integer' },
            maxAttempts: { type: 'integer' },
            createdAt: { type: 'string', format: 'date-time' },
            startedAt: { type: ['string', 'null'], format: 'date-time' },
            finishedAt: { type: ['string', 'null'], format: 'date-time' },
            durationSeconds: { type: ['number', 'null'] },
            queueWaitSeconds: { type: ['number', 'null'] },
            traceId: { type: ['string', 'null'], description: 'Paste into Tempo to see the job end to end.' },
            slides: { type: 'integer' },
            error: { $ref: '#/components/schemas/JobError' },
            output: {
              type: ['object', 'null'],
              properties: {
                url: { type: 'string' },
                bytes: { type: 'integer' },
                durationSeconds: { type: 'number' },
                width: { type: 'integer' },
                height: { type: 'integer' },
              },
            },
          },
        },
        JobPage: {
          type: 'object',
          required: ['jobs', 'nextCursor'],
          properties: { jobs: { type: 'array', items: jobRef }, nextCursor: { type: ['string', 'null'] } },
        },
        Health: jsonSchemaOf(healthSchema),
        Ready: jsonSchemaOf(readySchema),
        NotReady: jsonSchemaOf(notReadySchema),
        Summary: jsonSchemaOf(summarySchema),
        MetricsJson: jsonSchemaOf(metricsJsonSchema),
      },
    },
    paths: {
      '/healthz': {
        get: {
          operationId: 'getHealth',
          summary: 'Liveness: the process answers.',
          security: open,
          responses: { 200: jsonBody({ $ref: '#/components/schemas/Health' }, 'Alive.'), ...errorResponses([]) },
        },
      },
      '/readyz': {
        get: {
          operationId: 'getReadiness',
          summary: 'Readiness: the queue backend and the video storage answer too.',
          security: open,
          responses: {
            200: jsonBody({ $ref: '#/components/schemas/Ready' }, 'Ready.'),
            ...errorResponses([]),
            503: jsonBody(
              { $ref: '#/components/schemas/NotReady' },
              'Draining, or the queue backend or the video storage is unavailable (reason given).',
            ),
          },
        },
      },
      '/api/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          summary: 'This document.',
          security: open,
          responses: { 200: jsonBody({ type: 'object' }, 'OpenAPI 3.1.'), ...errorResponses([]) },
        },
      },
      '/api/metrics': {
        get: {
          operationId: 'getMetrics',
          summary: 'Prometheus / OpenMetrics exposition of the service metrics.',
          security: metricsToken,
          parameters: [{ name: 'format', in: 'query', schema: { enum: ['json'] }, description: '`json`: the same values as JSON.' }],
          responses: {
            200: {
              description: 'Prometheus text 0.0.4 by default, OpenMetrics when the Accept header prefers it, JSON with ?format=json.',
              content: {
                'text/plain': { schema: { type: 'string' } },
                'application/openmetrics-text': { schema: { type: 'string' } },
                'application/json': { schema: { $ref: '#/components/schemas/MetricsJson' } },
              },
            },
            ...errorResponses(['INVALID_QUERY', 'UNAUTHORIZED', 'METRICS_COLLECTION_FAILED']),
          },
        },
      },
      '/api/admin/summary': {
        get: {
          operationId: 'getAdminSummary',
          summary: 'Summary statistics over the range (what the admin page shows).',
          security: adminToken,
          parameters: [{ name: 'range', in: 'query', schema: { enum: Object.keys(SUMMARY_RANGES), default: '24h' } }],
          responses: {
            200: jsonBody({ $ref: '#/components/schemas/Summary' }, 'The summary.'),
            ...errorResponses(['INVALID_QUERY', 'UNAUTHORIZED', 'QUEUE_UNAVAILABLE']),
          },
        },
      },
      '/api/jobs': {
        post: {
          operationId: 'submitJob',
          summary: 'Submit a deck to render.',
          security: apiKey,
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
              description:
                'A repeat with the same key and the same body by the same client within 24 h returns the first job (200) instead of a new one; the same key with another body is 422, and 409 while the first request with it is still being processed.',
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/RenderRequest' } } } },
          responses: {
            200: jsonBody(jobRef, 'An idempotent repeat: the job the Idempotency-Key already names.', {
              headers: { ...location, 'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' } },
              links: jobLinks('getJob', 'cancelJob', 'retryJob', 'downloadJobOutput'),
            }),
            202: jsonBody(jobRef, 'Accepted and queued; Location names the job.', {
              headers: location,
              links: jobLinks('getJob', 'cancelJob', 'retryJob', 'downloadJobOutput', 'deleteJobOutput'),
            }),
            ...errorResponses([
              'VALIDATION_FAILED',
              'URL_NOT_ALLOWED',
              'INVALID_IDEMPOTENCY_KEY',
              ...BODY_CODES,
              'UNAUTHORIZED',
              'IDEMPOTENCY_KEY_IN_USE',
              'IDEMPOTENCY_KEY_REUSED',
              'RATE_LIMITED',
              'TOO_MANY_ACTIVE_JOBS',
              'QUEUE_FULL',
              'QUEUE_UNAVAILABLE',
            ]),
          },
        },
        get: {
          operationId: 'listJobs',
          summary: "List the caller's jobs, newest first, a page at a time.",
          security: apiKey,
          parameters: [
            { name: 'status', in: 'query', schema: { enum: [...JOB_STATUSES] } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page.' },
          ],
          responses: {
            200: jsonBody({ $ref: '#/components/schemas/JobPage' }, 'A page of jobs.'),
            ...errorResponses(['INVALID_QUERY', 'INVALID_CURSOR', 'UNAUTHORIZED', 'QUEUE_UNAVAILABLE']),
          },
        },
      },
      '/api/jobs/{id}': {
        parameters: [idParam],
        get: {
          operationId: 'getJob',
          summary: 'One job.',
          security: apiKey,
          responses: {
            200: jsonBody(jobRef, 'The job.', { links: jobLinks('cancelJob', 'retryJob', 'downloadJobOutput') }),
            ...errorResponses(JOB_CODES),
          },
        },
        delete: {
          operationId: 'cancelJob',
          summary: 'Cancel a queued or running job (the record stays readable, cancelled).',
          security: apiKey,
          responses: {
            200: jsonBody(jobRef, 'Cancelled.', { links: jobLinks('getJob', 'retryJob') }),
            ...errorResponses([...JOB_CODES, 'JOB_ALREADY_FINISHED']),
          },
        },
      },
      '/api/jobs/{id}/retry': {
        parameters: [idParam],
        post: {
          operationId: 'retryJob',
          summary: 'Run a failed or cancelled job again.',
          security: apiKey,
          responses: {
            202: jsonBody(jobRef, 'Queued again; Location names the job.', {
              headers: location,
              links: jobLinks('getJob', 'cancelJob', 'downloadJobOutput'),
            }),
            ...errorResponses([...JOB_CODES, ...BODY_CODES, 'JOB_NOT_RETRYABLE', 'RATE_LIMITED', 'TOO_MANY_ACTIVE_JOBS', 'QUEUE_FULL']),
          },
        },
      },
      '/api/jobs/{id}/output': {
        parameters: [idParam],
        get: {
          operationId: 'downloadJobOutput',
          summary: 'Download the MP4, streamed from whichever storage holds it (local folder or S3-compatible object store).',
          security: apiKey,
          parameters: [
            { name: 'Range', in: 'header', schema: { type: 'string' }, description: 'A single bytes range.' },
            {
              name: 'redirect',
              in: 'query',
              schema: { type: 'string', enum: ['1'] },
              description:
                'With object storage: 302 to a presigned URL valid RENDER_OUTPUT_URL_TTL seconds, so the download skips the API. With a local folder the video is served directly.',
            },
          ],
          responses: {
            200: {
              description: 'The video.',
              headers: { 'Accept-Ranges': { $ref: '#/components/headers/AcceptRanges' } },
              content: { 'video/mp4': { schema: { type: 'string', contentMediaType: 'video/mp4' } } },
            },
            206: {
              description: 'The requested range.',
              headers: {
                'Accept-Ranges': { $ref: '#/components/headers/AcceptRanges' },
                'Content-Range': { $ref: '#/components/headers/ContentRange' },
              },
              content: { 'video/mp4': { schema: { type: 'string', contentMediaType: 'video/mp4' } } },
            },
            302: {
              description: '`?redirect=1` on object storage: Location is a presigned URL.',
              headers: { Location: { $ref: '#/components/headers/PresignedLocation' } },
            },
            ...errorResponses([
              ...JOB_CODES,
              'OUTPUT_NOT_FOUND',
              'JOB_NOT_COMPLETED',
              'RANGE_NOT_SATISFIABLE',
              'STORAGE_UNAVAILABLE',
              'STORAGE_FAILED',
            ]),
          },
        },
        delete: {
          operationId: 'deleteJobOutput',
          summary: "Delete a completed job's video (every stored object of the job); the job record stays, with output null.",
          security: apiKey,
          responses: {
            204: { description: 'Deleted.' },
            ...errorResponses([...JOB_CODES, 'JOB_NOT_COMPLETED', 'STORAGE_UNAVAILABLE', 'STORAGE_FAILED']),
          },
        },
      },
      '/admin': {
        get: {
          operationId: 'adminRedirect',
          summary: 'Redirects to the admin page.',
          security: open,
          responses: {
            303: { description: 'To /admin/metrics.', headers: { Location: { $ref: '#/components/headers/AdminLocation' } } },
            ...errorResponses([]),
          },
        },
      },
      '/admin/metrics': {
        get: {
          operationId: 'adminPage',
          summary: 'The admin page (HTML): jobs, durations, errors and workers over a range.',
          security: adminPage,
          responses: {
            200: { description: 'HTML.', content: { 'text/html': { schema: { type: 'string' } } } },
            ...errorResponses([], ['INVALID_QUERY', 'UNAUTHORIZED', 'QUEUE_UNAVAILABLE']),
          },
        },
      },
      '/admin/login': {
        post: {
          operationId: 'adminLogin',
          summary: 'Admin page login (form).',
          security: open,
          // Not required: without ADMIN_TOKEN there is nothing to sign in to and the form just leads to the page.
          requestBody: {
            required: false,
            content: {
              'application/x-www-form-urlencoded': {
                schema: {
                  type: 'object',
                  properties: { token: { type: 'string', description: 'ADMIN_TOKEN; a wrong or missing one is 401.' } },
                },
              },
            },
          },
          responses: {
            303: { description: 'Signed in: to the admin page.', headers: { Location: { $ref: '#/components/headers/AdminLocation' } } },
            // A body the app's JSON parser refuses is answered as JSON (before the admin router); one the
            // login form's own parser refuses, as the admin page's HTML error page: both are documented.
            ...errorResponses(BODY_CODES, [...BODY_CODES, 'UNAUTHORIZED', 'CROSS_SITE_POST']),
          },
        },
      },
      '/admin/logout': {
        post: {
          operationId: 'adminLogout',
          summary: 'Admin page logout.',
          security: open,
          responses: {
            303: { description: 'Signed out: to the admin page.', headers: { Location: { $ref: '#/components/headers/AdminLocation' } } },
            ...errorResponses(BODY_CODES, [...BODY_CODES, 'CROSS_SITE_POST']),
          },
        },
      },
      '/admin/static/admin.css': {
        get: {
          operationId: 'adminStylesheet',
          summary: 'The admin page stylesheet.',
          security: open,
          responses: { 200: { description: 'CSS.', content: { 'text/css': { schema: { type: 'string' } } } }, ...errorResponses([]) },
        },
      },
    },
  };
}
