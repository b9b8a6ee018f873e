import type { ErrorCategory } from './categories';
import type { JobError } from '../job';

/** Options every render error carries besides its message. */
export interface RenderErrorOptions {
  cause?: unknown;
}

/** Base of every failure the service reports: a stable code, a category, an HTTP status and whether retrying can help. */
export abstract class RenderError extends Error {
  abstract readonly code: string;
  abstract readonly category: ErrorCategory;
  abstract readonly httpStatus: number;
  abstract readonly retryable: boolean;

  constructor(message: string, options: RenderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
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
