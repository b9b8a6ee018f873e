import type { ValidationDetail } from '../request';
import { RenderError } from './render-error';

/**
 * A URL names an address the service refuses to contact (loopback, private, link-local…). At
 * submit it carries the fields at fault; in a job it is the failure of a name that resolved to
 * such an address. The message never says whether anything answered there: nothing was contacted.
 */
export class UrlNotAllowedError extends RenderError {
  readonly code = 'URL_NOT_ALLOWED';
  readonly category = 'validation' as const;
  readonly httpStatus = 400;
  readonly retryable = false;

  constructor(
    message = 'the URL points to an address this service does not contact (loopback, private or reserved)',
    readonly details: ValidationDetail[] = [],
  ) {
    super(message);
  }

  override toResponseBody() {
    return this.details.length > 0
      ? { error: { code: this.code, message: this.message, details: this.details } }
      : { error: { code: this.code, message: this.message } };
  }
}
