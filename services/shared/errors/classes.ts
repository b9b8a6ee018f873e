/**
 * The named error classes, all produced from the registry (`registry.ts`): each knows only its code
 * (or the codes it may carry) and the extra data it keeps; status, category and `retryable` are the
 * table's. Code that needs no extra data raises `errorOf(code, …args)` instead of a class.
 */
import type { ValidationDetail } from '../request';
import { type ErrorCode, formatMessage } from './registry';
import { createError, RenderError, type RenderErrorOptions } from './render-error';

type CodeOf<T extends ErrorCode> = T;

/** A client mistake outside the deck schema: malformed JSON, an oversized body, a bad query parameter, an unknown route. */
export type BadRequestCode = CodeOf<
  | 'INVALID_JSON'
  | 'INVALID_BODY'
  | 'INVALID_PATH'
  | 'INVALID_QUERY'
  | 'INVALID_CURSOR'
  | 'INVALID_IDEMPOTENCY_KEY'
  | 'REQUEST_ABORTED'
  | 'NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RANGE_NOT_SATISFIABLE'
  | 'CROSS_SITE_POST'
  | 'BAD_REQUEST'
  | 'REQUEST_TIMEOUT'
  | 'HEADERS_TOO_LARGE'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_KEY_IN_USE'
>;
/** `new BadRequestError('INVALID_QUERY', what)`: the template's `%s` filled with the arguments. */
export class BadRequestError extends RenderError {
  declare readonly code: BadRequestCode;
  constructor(code: BadRequestCode, ...args: (string | number)[]) {
    super(code, formatMessage(code, args));
  }
}

/** The request body broke the deck schema; `details` names every field at fault. */
export class ValidationFailedError extends RenderError {
  constructor(
    readonly details: ValidationDetail[],
    message?: string,
  ) {
    super('VALIDATION_FAILED', message);
  }
  override toResponseBody() {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/**
 * A URL names an address the service refuses to contact (loopback, private, link-local…). At
 * submit it carries the fields at fault; in a job it is the failure of a name that resolved to
 * such an address. The message never says whether anything answered there: nothing was contacted.
 */
export class UrlNotAllowedError extends RenderError {
  constructor(
    message?: string,
    readonly details: ValidationDetail[] = [],
  ) {
    super('URL_NOT_ALLOWED', message);
  }
  override toResponseBody() {
    return this.details.length > 0
      ? { error: { code: this.code, message: this.message, details: this.details } }
      : { error: { code: this.code, message: this.message } };
  }
}

/** The scheme a 401 names in `WWW-Authenticate` (which token is wanted). */
export type AuthRealm = 'render' | 'admin' | 'metrics';
/** A protected endpoint was called without a valid bearer token; the error handler adds `WWW-Authenticate`. */
export class UnauthorizedError extends RenderError {
  constructor(
    message?: string,
    readonly realm: AuthRealm = 'admin',
  ) {
    super('UNAUTHORIZED', message);
  }
}

/** No job has this id (or it is another client's). */
export class JobNotFoundError extends createError('JOB_NOT_FOUND') {
  constructor(id: string) {
    super(JSON.stringify(id));
  }
}

/** Codes for asking a job to do what its status does not allow. */
export type JobStateCode = CodeOf<'JOB_NOT_COMPLETED' | 'JOB_ALREADY_FINISHED' | 'JOB_NOT_RETRYABLE'>;
/** The job's status does not allow this operation (cancel a finished job, download before completion, retry a running one). */
export class JobStateError extends RenderError {
  declare readonly code: JobStateCode;
  constructor(code: JobStateCode, message: string) {
    super(code, message);
  }
}

/** A completed job's video is not in storage (deleted, expired, or written by a worker whose disk is gone). */
export class OutputNotFoundError extends createError('OUTPUT_NOT_FOUND') {}

/** Codes for a client over one of its own limits. */
export type RateLimitedCode = CodeOf<'RATE_LIMITED' | 'TOO_MANY_ACTIVE_JOBS'>;
/**
 * A client is over its submission rate or its cap on jobs queued or running: 429 with `Retry-After`;
 * the same submission may be sent again later, ideally with the same Idempotency-Key.
 */
export class RateLimitedError extends RenderError {
  declare readonly code: RateLimitedCode;
  constructor(
    code: RateLimitedCode,
    message: string,
    /** Whole seconds to wait before trying again (the `Retry-After` header). */
    readonly retryAfterSeconds: number,
  ) {
    super(code, message);
  }
}

/** The queue already holds RENDER_MAX_QUEUED_JOBS waiting jobs: 503 with `Retry-After`; try again later. */
export class QueueFullError extends RenderError {
  readonly retryAfterSeconds = 30;
  constructor(message?: string) {
    super('QUEUE_FULL', message);
  }
}

/** The queue backend (Redis, SQLite) did not answer; the client may try again later. */
export class QueueUnavailableError extends RenderError {
  constructor(message?: string, options?: RenderErrorOptions) {
    super('QUEUE_UNAVAILABLE', message, options);
  }
}

/** The object store did not answer or answered "busy" (network error, 5xx, throttling): try again later. */
export class StorageUnavailableError extends RenderError {
  constructor(message?: string, options?: RenderErrorOptions) {
    super('STORAGE_UNAVAILABLE', message, options);
  }
}

/**
 * Writing, reading or deleting a stored video failed (disk full, read-only, permission, an object
 * store refusing). Retryable unless the backend said retrying cannot help (access denied, no bucket).
 */
export class StorageError extends RenderError {
  constructor(
    message: string,
    readonly systemCode: string | null = null,
    options: RenderErrorOptions = {},
  ) {
    super('STORAGE_FAILED', message, options);
  }
}

/** Anything not classified otherwise: a bug or an unexpected failure. */
export class InternalError extends RenderError {
  constructor(message?: string, options?: RenderErrorOptions) {
    super('INTERNAL_ERROR', message, options);
  }
}

/** Codes for an asset that downloaded but cannot be used. */
export type AssetRejectedCode = CodeOf<'ASSET_INVALID' | 'ASSET_NOT_FOUND' | 'ASSET_REDIRECT_LIMIT' | 'IMAGE_TOO_LARGE' | 'DECK_TOO_LONG'>;
/** An asset answered but is unusable, or makes the deck too long; retrying will not help. */
export class AssetRejectedError extends RenderError {
  declare readonly code: AssetRejectedCode;
  constructor(code: AssetRejectedCode, message: string, options?: RenderErrorOptions) {
    super(code, message, options);
  }
}

/** An asset could not be downloaded for a network reason (refused, unresolvable, reset, 5xx); retrying may help. */
export class AssetFetchError extends RenderError {
  constructor(message: string, options?: RenderErrorOptions) {
    super('ASSET_FETCH_FAILED', message, options);
  }
}

/** The asset host refused access (401/403); retrying without new credentials will not help. */
export class AssetAuthError extends RenderError {
  constructor(message: string, options?: RenderErrorOptions) {
    super('ASSET_UNAUTHORIZED', message, options);
  }
}

/** Codes for a machine out of something (memory, file descriptors, an asset over the size cap, a missing tool). */
export type ResourceCode = CodeOf<'RESOURCE_EXHAUSTED' | 'ASSET_TOO_LARGE' | 'TOOL_MISSING'>;
/** The machine ran out of something; may succeed later unless `retryable` says otherwise. */
export class ResourceExhaustedError extends RenderError {
  declare readonly code: ResourceCode;
  constructor(code: ResourceCode, message: string, retryable?: boolean, options: RenderErrorOptions = {}) {
    super(code, message, { ...options, retryable: retryable ?? options.retryable });
  }
}

/** A stage (or an asset download) ran past its time limit. */
export class StageTimeoutError extends RenderError {
  constructor(
    readonly stage: string,
    readonly timeoutMs: number,
    options?: RenderErrorOptions,
  ) {
    super('STAGE_TIMEOUT', formatMessage('STAGE_TIMEOUT', [stage, timeoutMs]), options);
  }
}

/** FFmpeg (or ffprobe) exited with an error; `exitCode`/`signal` and the stderr tail tell why. */
export class FfmpegError extends RenderError {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderrTail: string,
    options?: RenderErrorOptions,
  ) {
    // A signal kill (OOM killer, host shutdown) is worth another try; a non-zero exit on the same input is not.
    super('FFMPEG_FAILED', message, { ...options, retryable: signal !== null });
  }
}

/** The finished video is not what was planned (a stream missing, wrong length or frame count): never shipped. */
export class OutputMismatchError extends createError('OUTPUT_MISMATCH') {}

/** espeak-ng could not speak a narration (unknown voice, non-zero exit). */
export class TtsError extends RenderError {
  /** espeak-ng's stderr tail when it ran and failed (the runner logs its last lines). */
  readonly stderrTail: string;

  constructor(message: string, options?: RenderErrorOptions & { stderrTail?: string }) {
    super('TTS_FAILED', message, options);
    this.stderrTail = options?.stderrTail ?? '';
  }
}

/** The job's workers kept dying mid-attempt; retrying blindly could crash more workers. */
export class WorkerLostError extends createError('WORKER_LOST') {
  constructor(detail: string) {
    super(detail);
  }
}

/** The job was cancelled while it ran; not a failure, and never counted in `render_errors_total`. */
export class JobCancelledError extends RenderError {
  constructor(message?: string) {
    super('JOB_CANCELLED', message);
  }
}
