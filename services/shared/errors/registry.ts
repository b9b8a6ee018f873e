/**
 * Every error code the service can answer or store on a job, in one table (the shape of fastify's
 * `lib/errors.js`): its HTTP status, its category (the `render_errors_total{category}` label), whether
 * retrying can help, and its message template (`%s` placeholders, filled in order by the code that
 * raises it). The error classes (`classes.ts`), the OpenAPI error catalogue (`api/openapi.ts`) and the
 * README's error tables are produced from it, and `registry.test.ts` fails when the README drifts.
 *
 * `answer` says where a client meets the code: `http` in an error response, `job` only as a job's
 * `error.code` (a failed attempt or job), `both` in either (a refused URL at submit or at fetch time).
 *
 * Add a code here first; the type `ErrorCode` then accepts it everywhere.
 */
import type { ErrorCategory } from './categories';

/** What the table says about one code. */
export interface ErrorSpec {
  status: number;
  category: ErrorCategory;
  /** The default; a few codes decide per instance (an FFmpeg signal kill, a storage backend's answer). */
  retryable: boolean;
  /** `%s` placeholders are filled in order; a code raised with free text uses `'%s'`. */
  message: string;
  answer: 'http' | 'job' | 'both';
  /** One line for the README: when the code is given. */
  doc: string;
}

const client = (status: number, message: string, doc: string): ErrorSpec => ({
  status,
  category: 'validation',
  retryable: false,
  message,
  answer: 'http',
  doc,
});

/** The registry. Keep it grouped by status; the README tables follow its order. */
export const ERRORS = {
  VALIDATION_FAILED: client(
    400,
    'the render request is invalid',
    'the deck breaks the schema; `details: [{path, message}]` names every field',
  ),
  URL_NOT_ALLOWED: {
    status: 400,
    category: 'validation',
    retryable: false,
    message: 'the URL points to an address this service does not contact (loopback, private or reserved)',
    answer: 'both',
    doc: 'a URL names a refused address (loopback, private, link-local…); at submit with the same `details`',
  },
  INVALID_JSON: client(400, 'the request body is not valid JSON', 'the body does not parse as JSON'),
  INVALID_BODY: client(400, 'the request body could not be read', 'the body could not be read (a truncated or badly encoded body)'),
  INVALID_PATH: client(400, 'the URL path is not valid percent-encoding', 'a path parameter is not valid percent-encoding'),
  INVALID_QUERY: client(400, 'invalid query parameters: %s', 'a query parameter is out of range or unknown'),
  INVALID_CURSOR: client(400, 'cursor is not one this server issued', '`cursor` is not one this server issued'),
  INVALID_IDEMPOTENCY_KEY: client(
    400,
    'Idempotency-Key must be 1–255 visible ASCII characters',
    'the `Idempotency-Key` header is malformed',
  ),
  BAD_REQUEST: client(
    400,
    'the HTTP request is malformed',
    'the HTTP parser refused the request (bad request line, header or framing); the connection is closed',
  ),
  REQUEST_ABORTED: client(400, 'the client aborted the request', 'the client closed the connection before the body was read'),
  UNAUTHORIZED: {
    status: 401,
    category: 'auth',
    retryable: false,
    message: 'a valid bearer token is required',
    answer: 'http',
    doc: 'the bearer token (API key, `ADMIN_TOKEN`, `METRICS_TOKEN`) is missing or wrong',
  },
  CROSS_SITE_POST: client(403, 'cross-site form posts are refused', 'an admin-page form was posted from another origin'),
  NOT_FOUND: client(404, 'no route for %s %s', 'no such route'),
  JOB_NOT_FOUND: client(404, 'no job with id %s', "no such job (or another client's)"),
  OUTPUT_NOT_FOUND: {
    status: 404,
    category: 'storage',
    retryable: false,
    message: '%s',
    answer: 'http',
    doc: "a completed job's video is no longer stored",
  },
  REQUEST_TIMEOUT: client(
    408,
    'the request did not arrive within %s seconds',
    'the headers or the body did not arrive within `RENDER_HTTP_HEADERS_TIMEOUT_SECONDS` / `RENDER_HTTP_REQUEST_TIMEOUT_SECONDS`; the connection is closed',
  ),
  IDEMPOTENCY_KEY_IN_USE: client(
    409,
    'a request with this Idempotency-Key is still being processed; retry once it has finished',
    'the first request with this `Idempotency-Key` is still in flight (retry later)',
  ),
  JOB_ALREADY_FINISHED: client(409, '%s', 'cancel of a job that already finished'),
  JOB_NOT_RETRYABLE: client(409, '%s', 'retry of a job that is not failed or cancelled'),
  JOB_NOT_COMPLETED: client(409, '%s', 'download or delete of the video of a job that has not completed'),
  PAYLOAD_TOO_LARGE: client(413, 'the request body exceeds %s bytes', 'the body is over the size limit'),
  UNSUPPORTED_MEDIA_TYPE: client(415, '%s', 'the body is not UTF-8 JSON'),
  RANGE_NOT_SATISFIABLE: client(
    416,
    'the requested byte range is outside the video',
    'the `Range` is outside the video (`Content-Range: bytes */size`)',
  ),
  IDEMPOTENCY_KEY_REUSED: client(
    422,
    'this Idempotency-Key was already used with a different request body',
    'the `Idempotency-Key` names an earlier request whose body differs from this one',
  ),
  HEADERS_TOO_LARGE: client(
    431,
    'the request headers are too large',
    'the request headers are over Node’s limit (16 KiB); the connection is closed',
  ),
  RATE_LIMITED: {
    status: 429,
    category: 'resource',
    retryable: true,
    message: '%s',
    answer: 'http',
    doc: 'over `RENDER_SUBMIT_RATE_PER_MINUTE` (with `Retry-After`)',
  },
  TOO_MANY_ACTIVE_JOBS: {
    status: 429,
    category: 'resource',
    retryable: true,
    message: '%s',
    answer: 'http',
    doc: 'over `RENDER_MAX_ACTIVE_JOBS_PER_CLIENT` jobs queued or running (with `Retry-After`)',
  },
  INTERNAL_ERROR: {
    status: 500,
    category: 'unknown',
    retryable: true,
    message: 'internal error',
    answer: 'both',
    doc: 'a bug or an unexpected failure (logged)',
  },
  METRICS_COLLECTION_FAILED: {
    status: 500,
    category: 'unknown',
    retryable: true,
    message: '%s',
    answer: 'http',
    doc: 'collecting the metrics failed',
  },
  QUEUE_UNAVAILABLE: {
    status: 503,
    category: 'resource',
    retryable: true,
    message: 'the job queue is unavailable; try again later',
    answer: 'http',
    doc: 'the queue backend (SQLite, Redis) did not answer',
  },
  QUEUE_FULL: {
    status: 503,
    category: 'resource',
    retryable: true,
    message: 'the render queue is full; try again later',
    answer: 'http',
    doc: 'over `RENDER_MAX_QUEUED_JOBS` waiting jobs (with `Retry-After`)',
  },
  STORAGE_UNAVAILABLE: {
    status: 503,
    category: 'storage',
    retryable: true,
    message: 'the video storage is unavailable; try again later',
    answer: 'http',
    doc: 'the object store did not answer or was busy',
  },
  STORAGE_FAILED: {
    status: 507,
    category: 'storage',
    retryable: true,
    message: '%s',
    answer: 'both',
    doc: 'writing, reading or deleting a video failed (disk full, access denied…)',
  },
  // Job failures: what a failed attempt or job carries in `error` (the status is what the code would map to).
  ASSET_INVALID: {
    status: 422,
    category: 'validation',
    retryable: false,
    message: '%s',
    answer: 'job',
    doc: 'an asset is not an accepted image or audio, or answered an unusable HTTP status',
  },
  ASSET_NOT_FOUND: {
    status: 422,
    category: 'validation',
    retryable: false,
    message: '%s',
    answer: 'job',
    doc: 'an asset answered 404 or 410',
  },
  ASSET_REDIRECT_LIMIT: {
    status: 422,
    category: 'validation',
    retryable: false,
    message: '%s',
    answer: 'job',
    doc: 'an asset redirected more than `RENDER_FETCH_MAX_REDIRECTS` times',
  },
  IMAGE_TOO_LARGE: {
    status: 422,
    category: 'validation',
    retryable: false,
    message: '%s',
    answer: 'job',
    doc: 'an image is over `RENDER_MAX_IMAGE_SIDE` or `RENDER_MAX_IMAGE_PIXELS`',
  },
  DECK_TOO_LONG: {
    status: 422,
    category: 'validation',
    retryable: false,
    message: '%s',
    answer: 'job',
    doc: 'with its audio, a slide or the deck would run over the length limits',
  },
  ASSET_FETCH_FAILED: {
    status: 502,
    category: 'network',
    retryable: true,
    message: '%s',
    answer: 'job',
    doc: 'an asset could not be downloaded (refused, unresolvable, reset, 5xx)',
  },
  ASSET_UNAUTHORIZED: {
    status: 502,
    category: 'auth',
    retryable: false,
    message: '%s',
    answer: 'job',
    doc: 'an asset host refused access (401/403)',
  },
  ASSET_TOO_LARGE: {
    status: 503,
    category: 'resource',
    retryable: false,
    message: '%s',
    answer: 'job',
    doc: 'an asset, or all of a job’s assets, over `RENDER_FETCH_MAX_BYTES` / `RENDER_FETCH_JOB_MAX_BYTES`',
  },
  RESOURCE_EXHAUSTED: {
    status: 503,
    category: 'resource',
    retryable: true,
    message: 'out of resources (%s)',
    answer: 'job',
    doc: 'the machine ran out of memory or file descriptors',
  },
  TOOL_MISSING: {
    status: 503,
    category: 'resource',
    retryable: false,
    message: '%s is not installed',
    answer: 'job',
    doc: 'FFmpeg, ffprobe or espeak-ng is not installed',
  },
  STAGE_TIMEOUT: {
    status: 504,
    category: 'timeout',
    retryable: true,
    message: 'stage %s exceeded its %s ms limit',
    answer: 'job',
    doc: 'a stage ran past its time limit',
  },
  FFMPEG_FAILED: {
    status: 500,
    category: 'ffmpeg',
    retryable: false,
    message: '%s',
    answer: 'job',
    doc: 'FFmpeg or ffprobe failed (retryable after a signal kill, not after a non-zero exit)',
  },
  OUTPUT_MISMATCH: {
    status: 500,
    category: 'ffmpeg',
    retryable: false,
    message: '%s',
    answer: 'job',
    doc: 'the encoded video is not what was planned (a stream missing, wrong length); never shipped',
  },
  TTS_FAILED: {
    status: 500,
    category: 'unknown',
    retryable: false,
    message: '%s',
    answer: 'job',
    doc: 'espeak-ng could not speak a narration',
  },
  WORKER_LOST: {
    status: 500,
    category: 'resource',
    retryable: false,
    message: "the job's worker stopped while running it too many times: %s",
    answer: 'job',
    doc: 'the process running the job died on every attempt',
  },
  JOB_CANCELLED: {
    status: 409,
    category: 'unknown',
    retryable: false,
    message: 'the job was cancelled',
    answer: 'job',
    doc: 'the job was cancelled while it ran (not a failure; never counted in `render_errors_total`)',
  },
} as const satisfies Record<string, ErrorSpec>;

/** One code of the registry. */
export type ErrorCode = keyof typeof ERRORS;

/** Every code, in table order. */
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/** Codes an HTTP response can carry. */
export const HTTP_ERROR_CODES = ERROR_CODES.filter((c) => ERRORS[c].answer !== 'job');

/** Codes a job's `error.code` can carry. */
export const JOB_ERROR_CODES = ERROR_CODES.filter((c) => ERRORS[c].answer !== 'http');

/** True for a code of the registry. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

/** The code's message template with `args` in its `%s` places (extra arguments are appended, missing ones left empty). */
export function formatMessage(code: ErrorCode, args: readonly unknown[] = []): string {
  let i = 0;
  const text = ERRORS[code].message.replace(/%s/g, () => (i < args.length ? String(args[i++]) : ''));
  const rest = args.slice(i).map(String);
  const message = rest.length > 0 ? `${text} ${rest.join(' ')}` : text.trim();
  // A free-text code raised with no text still says something: its documented meaning.
  return message === '' ? ERRORS[code].doc.replace(/`/g, '') : message;
}
