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
import { ERROR_CATEGORIES } from '../shared/errors/categories';

type Json = Record<string, unknown>;

/** An error response: the documented codes it may carry. */
function errorResponse(description: string, codes: readonly string[]): Json {
  return {
    description: `${description} Codes: ${codes.join(', ')}.`,
    content: {
      'application/json': {
        schema: {
          allOf: [{ $ref: '#/components/schemas/Error' }],
          properties: { error: { properties: { code: { enum: [...codes] } } } },
        },
      },
    },
    'x-error-codes': [...codes],
  };
}

const jsonBody = (schema: Json, description: string): Json => ({ description, content: { 'application/json': { schema } } });
const jobRef = { $ref: '#/components/schemas/Job' };
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The job id (a UUID).' };
const unavailable = errorResponse('The queue backend did not answer.', ['QUEUE_UNAVAILABLE']);
const notFound = errorResponse('No such job.', ['JOB_NOT_FOUND']);
const bearer = [{ bearer: [] }, {}];
// With RENDER_API_KEYS / RENDER_API_KEYS_FILE every /api/jobs* call needs its client's key.
const apiKey = [{ bearer: [] }, {}];
const noKey = errorResponse('API keys are configured and the bearer token is missing or wrong.', ['UNAUTHORIZED']);
const overLimit = errorResponse('Over a per-client limit; Retry-After says when to try again.', ['RATE_LIMITED', 'TOO_MANY_ACTIVE_JOBS']);
const fullOrUnavailable = errorResponse('The queue is full (Retry-After) or the queue backend did not answer.', [
  'QUEUE_FULL',
  'QUEUE_UNAVAILABLE',
]);

/** Codes every route may answer besides its own: body parsing and unknown routes. */
export const COMMON_ERROR_CODES = ['NOT_FOUND', 'INTERNAL_ERROR', 'INVALID_BODY', 'INVALID_PATH'] as const;

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
        'Slides to narrated MP4 through FFmpeg. Every error answer is JSON `{ "error": { "code", "message" } }` with a stable code.',
    },
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
              properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
            },
          },
        },
        JobError: {
          type: ['object', 'null'],
          properties: {
            code: { type: 'string' },
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
            401: errorResponse('METRICS_TOKEN is set and the bearer token is missing or wrong.', ['UNAUTHORIZED']),
            500: errorResponse('Collecting the metrics failed.', ['METRICS_COLLECTION_FAILED']),
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
            400: errorResponse('Bad query parameter.', ['INVALID_QUERY']),
            401: errorResponse('ADMIN_TOKEN is set and the bearer token is missing or wrong.', ['UNAUTHORIZED']),
            503: unavailable,
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
            400: errorResponse('The deck or the body is invalid, or a URL names a refused address.', [
              'VALIDATION_FAILED',
              'URL_NOT_ALLOWED',
              'INVALID_JSON',
              'INVALID_IDEMPOTENCY_KEY',
              'REQUEST_ABORTED',
            ]),
            401: noKey,
            413: errorResponse('The body is too large.', ['PAYLOAD_TOO_LARGE']),
            415: errorResponse('The body is not UTF-8 JSON.', ['UNSUPPORTED_MEDIA_TYPE']),
            429: overLimit,
            503: fullOrUnavailable,
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
            400: errorResponse('Bad query parameter or cursor.', ['INVALID_QUERY', 'INVALID_CURSOR']),
            401: noKey,
            503: unavailable,
          },
        },
      },
      '/api/jobs/{id}': {
        parameters: [idParam],
        get: {
          summary: 'One job.',
          security: apiKey,
          responses: { 200: jsonBody(jobRef, 'The job.'), 401: noKey, 404: notFound, 503: unavailable },
        },
        delete: {
          summary: 'Cancel a queued or running job.',
          security: apiKey,
          responses: {
            200: jsonBody(jobRef, 'Cancelled.'),
            401: noKey,
            404: notFound,
            409: errorResponse('The job already finished.', ['JOB_ALREADY_FINISHED']),
            503: unavailable,
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
            401: noKey,
            404: notFound,
            409: errorResponse('Only failed or cancelled jobs can be retried.', ['JOB_NOT_RETRYABLE']),
            429: overLimit,
            503: fullOrUnavailable,
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
            401: noKey,
            404: errorResponse('No such job, or its video is no longer stored.', ['JOB_NOT_FOUND', 'OUTPUT_NOT_FOUND']),
            409: errorResponse('The job has not completed.', ['JOB_NOT_COMPLETED']),
            416: errorResponse('The range is outside the file (Content-Range: bytes */size).', ['RANGE_NOT_SATISFIABLE']),
            503: errorResponse('The queue backend or the video storage did not answer.', ['QUEUE_UNAVAILABLE', 'STORAGE_UNAVAILABLE']),
            507: errorResponse('The video storage refused the read.', ['STORAGE_FAILED']),
          },
        },
        delete: {
          summary: "Delete a completed job's video (every stored object of the job); the job record stays, with output null.",
          responses: {
            204: { description: 'Deleted.' },
            404: notFound,
            409: errorResponse('Only a completed job has a video to delete.', ['JOB_NOT_COMPLETED']),
            503: errorResponse('The queue backend or the video storage did not answer.', ['QUEUE_UNAVAILABLE', 'STORAGE_UNAVAILABLE']),
            507: errorResponse('The video storage refused the deletion.', ['STORAGE_FAILED']),
          },
        },
      },
      '/admin': { get: { summary: 'Redirects to the admin page.', responses: { 303: { description: 'To /admin/metrics.' } } } },
      '/admin/metrics': {
        get: {
          summary: 'The admin page (HTML): jobs, durations, errors and workers over a range.',
          responses: { 200: { description: 'HTML.' }, 401: { description: 'ADMIN_TOKEN is set: the login form.' } },
        },
      },
      '/admin/login': {
        post: {
          summary: 'Admin page login (form).',
          responses: { 303: { description: 'Signed in.' }, 401: { description: 'Wrong token.' } },
        },
      },
      '/admin/logout': { post: { summary: 'Admin page logout.', responses: { 303: { description: 'Signed out.' } } } },
      '/admin/static/admin.css': { get: { summary: 'The admin page stylesheet.', responses: { 200: { description: 'CSS.' } } } },
    },
  };
}
