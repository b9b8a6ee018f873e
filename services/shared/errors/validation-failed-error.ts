import { RenderError } from './render-error';
import type { ValidationDetail } from '../request';

/** The request body broke the deck schema; `details` names every field at fault. */
export class ValidationFailedError extends RenderError {
  readonly code = 'VALIDATION_FAILED';
  readonly category = 'validation' as const;
  readonly httpStatus = 400;
  readonly retryable = false;

  constructor(
    readonly details: ValidationDetail[],
    message = 'the render request is invalid',
  ) {
    super(message);
  }

  override toResponseBody() {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}
