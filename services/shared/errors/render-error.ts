import type { JobError } from '../job';
import type { ErrorCategory } from './categories';
import { ERRORS, type ErrorCode, formatMessage } from './registry';

/** Options every render error carries besides its message. */
export interface RenderErrorOptions {
  cause?: unknown;
  /** Overrides the registry's default for this one error (a signal kill, a backend that said "do not retry"). */
  retryable?: boolean;
}

/**
 * Base of every failure the service reports. Status, category and the default `retryable` come from
 * the registry (`registry.ts`) by code, so no class states them; the message is the code's template
 * with the given arguments, or free text for codes whose template is `%s`.
 */
export class RenderError extends Error {
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly httpStatus: number;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message?: string, options: RenderErrorOptions = {}) {
    super(message ?? formatMessage(code), options.cause === undefined ? undefined : { cause: options.cause });
    const spec = ERRORS[code];
    this.name = new.target.name;
    this.code = code;
    this.category = spec.category;
    this.httpStatus = spec.status;
    this.retryable = options.retryable ?? spec.retryable;
  }

  /** The shape stored on a job and shown to clients. */
  toJobError(): JobError {
    return { code: this.code, category: this.category, message: this.message, retryable: this.retryable };
  }

  /** The body of an HTTP error response. */
  toResponseBody(): { error: { code: string; message: string; details?: unknown } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/**
 * The class of one code, as fastify's `createError`: `new (createError('X'))(...args)` fills the
 * template's `%s` with `args`. The named classes in `classes.ts` extend these.
 */
export function createError<C extends ErrorCode>(code: C) {
  return class extends RenderError {
    declare readonly code: C;
    constructor(...args: unknown[]) {
      super(code, formatMessage(code, args));
    }
  };
}

/** A RenderError for any code of the registry, its template filled with `args`. */
export function errorOf(code: ErrorCode, ...args: unknown[]): RenderError {
  return new RenderError(code, formatMessage(code, args));
}
