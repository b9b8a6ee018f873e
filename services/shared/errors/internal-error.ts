import { RenderError, type RenderErrorOptions } from './render-error';

/** Anything not classified otherwise: a bug or an unexpected failure. */
export class InternalError extends RenderError {
  readonly code = 'INTERNAL_ERROR';
  readonly category = 'unknown' as const;
  readonly httpStatus = 500;
  readonly retryable = true;

  constructor(message = 'internal error', options?: RenderErrorOptions) {
    super(message, options);
  }
}
