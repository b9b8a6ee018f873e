import { RenderError } from './render-error';

/** A protected endpoint was called without a valid bearer token. */
export class UnauthorizedError extends RenderError {
  readonly code = 'UNAUTHORIZED';
  readonly category = 'auth' as const;
  readonly httpStatus = 401;
  readonly retryable = false;

  constructor(message = 'a valid bearer token is required') {
    super(message);
  }
}
