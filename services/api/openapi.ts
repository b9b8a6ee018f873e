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
import { ERROR_CATEGORIES, ERRORS, type ErrorCode, HTTP_ERROR_CODES, JOB_ERROR_CODES } from '../shared/errors';

type Json = Record<string, unknown>;

/** One error response: the codes of one status it may carry (the status and meanings come from the registry). */
function errorResponse(codes: readonly ErrorCode[], media = 'application/json'): Json {
  const docs = codes.map((c) => `\`${c}\`: ${ERRORS[c].doc}.`).join(' ');
  return {
    description: docs,
    content: {
      [media]:
        media === 'application/json'
          ? {
              schema: {
                allOf: [{ $ref: '#/components/schemas/Error' }],
                properties: { error: { properties: { code: { enum: [...codes] } } } },
              },
            }
          : {},
    },
    'x-error-codes': [...codes],
  };
}

/** The error responses of an operation, grouped by each code's status in the registry. */
export function errorResponses(codes: readonly ErrorCode[], media?: string): Record<number, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERRORS[code].status, [...(byStatus.get(ERRORS[code].status) ?? []), code]);
  return Object.fromEntries([...byStatus].map(([status, list]) => [status, errorResponse(list, media)]));
}

const jsonBody = (schema: Json, description: string): Json => ({ description, content: { 'application/json': { schema } } });
const jobRef = { $ref: '#/components/schemas/Job' };
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The job id (a UUID).' };
const bearer = [{ bearer: [] }, {}];
// With RENDER_API_KEYS / RENDER_API_KEYS_FILE every /api/jobs* call needs its client's key.
const apiKey = [{ bearer: [] }, {}];

/** Codes any route may answer besides its own: a bug, and (for a path with an id) a path that does not decode. */
export const COMMON_ERROR_CODES = ['INTERNAL_ERROR'] as const satisfies readonly ErrorCode[];
/** Codes a request with a JSON body may answer (body parsing runs before every route). */
const BODY_CODES = ['INVALID_JSON', 'INVALID_BODY', 'REQUEST_ABORTED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const;
/** Codes every `/api/jobs/{id}…` route may answer: a bad path, no key, no such job, no queue. */
const JOB_CODES = ['INVALID_PATH', 'UNAUTHORIZED', 'JOB_NOT_FOUND', 'QUEUE_UNAVAILABLE', ...COMMON_ERROR_CODES] as const;

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
    },
    'x-error-catalogue': errorCatalogue(),
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'METRICS_TOKEN for /api/metrics, ADMIN_TOKEN for the admin summary, a client API key for /api/jobs*.',
        },
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
      },
    },
    paths: {
      '/healthz': { get: { summary: 'Liveness: the process answers.', responses: { 200: { description: 'Alive.' } } } },
      '/readyz': {
        get: {
          summary: 'Readiness: the queue backend and the video storage answer too.',
          responses: {
            200: { description: 'Ready.' },
            503: { description: 'The queue backend or the video storage is unavailable (reason given).' },
          },
        },
      },
      '/api/openapi.json': { get: { summary: 'This document.', responses: { 200: { description: 'OpenAPI 3.1.' } } } },
      '/api/metrics': {
        get: {
          summary: 'Prometheus / OpenMetrics exposition of the service metrics.',
          security: bearer,
          responses: {
            200: { description: 'text/plain 0.0.4, OpenMetrics when the Accept header asks for it, or JSON with ?format=json.' },
            ...errorResponses(['UNAUTHORIZED', 'METRICS_COLLECTION_FAILED']),
          },
        },
      },
      '/api/admin/summary': {
        get: {
          summary: 'Summary statistics over the range (what the admin page shows).',
          security: bearer,
          parameters: [{ name: 'range', in: 'query', schema: { enum: Object.keys(SUMMARY_RANGES), default: '24h' } }],
          responses: {
            200: { description: 'The summary.' },
            ...errorResponses(['INVALID_QUERY', 'UNAUTHORIZED', 'QUEUE_UNAVAILABLE', ...COMMON_ERROR_CODES]),
          },
        },
      },
      '/api/jobs': {
        post: {
          summary: 'Submit a deck to render.',
          security: apiKey,
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              schema: { type: 'string', maxLength: 255 },
              description: 'A repeat with the same key by the same client within 24 h returns the first job (200) instead of a new one.',
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/RenderRequest' } } } },
          responses: {
            200: jsonBody(jobRef, 'An idempotent repeat: the job the Idempotency-Key already names (Idempotent-Replayed: true).'),
            202: jsonBody(jobRef, 'Accepted and queued; Location names the job.'),
            ...errorResponses([
              'VALIDATION_FAILED',
              'URL_NOT_ALLOWED',
              'INVALID_IDEMPOTENCY_KEY',
              ...BODY_CODES,
              'UNAUTHORIZED',
              'RATE_LIMITED',
              'TOO_MANY_ACTIVE_JOBS',
              'QUEUE_FULL',
              'QUEUE_UNAVAILABLE',
              ...COMMON_ERROR_CODES,
            ]),
          },
        },
        get: {
          summary: "List the caller's jobs, newest first, a page at a time.",
          security: apiKey,
          parameters: [
            { name: 'status', in: 'query', schema: { enum: [...JOB_STATUSES] } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page.' },
          ],
          responses: {
            200: jsonBody(
              { type: 'object', properties: { jobs: { type: 'array', items: jobRef }, nextCursor: { type: ['string', 'null'] } } },
              'A page of jobs.',
            ),
            ...errorResponses(['INVALID_QUERY', 'INVALID_CURSOR', 'UNAUTHORIZED', 'QUEUE_UNAVAILABLE', ...COMMON_ERROR_CODES]),
          },
        },
      },
      '/api/jobs/{id}': {
        parameters: [idParam],
        get: {
          summary: 'One job.',
          security: apiKey,
          responses: { 200: jsonBody(jobRef, 'The job.'), ...errorResponses(JOB_CODES) },
        },
        delete: {
          summary: 'Cancel a queued or running job.',
          security: apiKey,
          responses: {
            200: jsonBody(jobRef, 'Cancelled.'),
            ...errorResponses([...JOB_CODES, 'JOB_ALREADY_FINISHED']),
          },
        },
      },
      '/api/jobs/{id}/retry': {
        parameters: [idParam],
        post: {
          summary: 'Run a failed or cancelled job again.',
          security: apiKey,
          responses: {
            202: jsonBody(jobRef, 'Queued again.'),
            ...errorResponses([...JOB_CODES, 'JOB_NOT_RETRYABLE', 'RATE_LIMITED', 'TOO_MANY_ACTIVE_JOBS', 'QUEUE_FULL']),
          },
        },
      },
      '/api/jobs/{id}/output': {
        parameters: [idParam],
        get: {
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
            200: { description: 'The video.', content: { 'video/mp4': {} } },
            206: { description: 'The requested range.', content: { 'video/mp4': {} } },
            302: { description: '`?redirect=1` on object storage: Location is a presigned URL.' },
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
          summary: "Delete a completed job's video (every stored object of the job); the job record stays, with output null.",
          responses: {
            204: { description: 'Deleted.' },
            ...errorResponses([...JOB_CODES, 'JOB_NOT_COMPLETED', 'STORAGE_UNAVAILABLE', 'STORAGE_FAILED']),
          },
        },
      },
      '/admin': { get: { summary: 'Redirects to the admin page.', responses: { 303: { description: 'To /admin/metrics.' } } } },
      '/admin/metrics': {
        get: {
          summary: 'The admin page (HTML): jobs, durations, errors and workers over a range.',
          responses: {
            200: { description: 'HTML.' },
            401: {
              description: 'ADMIN_TOKEN is set: the login form (HTML).',
              content: { 'text/html': {} },
              'x-error-codes': ['UNAUTHORIZED'],
            },
            ...errorResponses(['INVALID_QUERY', 'QUEUE_UNAVAILABLE'], 'text/html'),
          },
        },
      },
      '/admin/login': {
        post: {
          summary: 'Admin page login (form).',
          responses: {
            303: { description: 'Signed in.' },
            401: {
              description: 'Wrong token: the login form again (HTML).',
              content: { 'text/html': {} },
              'x-error-codes': ['UNAUTHORIZED'],
            },
            ...errorResponses(['CROSS_SITE_POST'], 'text/html'),
          },
        },
      },
      '/admin/logout': {
        post: {
          summary: 'Admin page logout.',
          responses: { 303: { description: 'Signed out.' }, ...errorResponses(['CROSS_SITE_POST'], 'text/html') },
        },
      },
      '/admin/static/admin.css': { get: { summary: 'The admin page stylesheet.', responses: { 200: { description: 'CSS.' } } } },
    },
  };
}
