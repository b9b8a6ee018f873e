import { RenderError } from './render-error';

/** The job was cancelled while it ran; not a failure, and never counted in `render_errors_total`. */
export class JobCancelledError extends RenderError {
  readonly code = 'JOB_CANCELLED';
  readonly category = 'unknown' as const;
  readonly httpStatus = 409;
  readonly retryable = false;

  constructor(message = 'the job was cancelled') {
    super(message);
  }
}
