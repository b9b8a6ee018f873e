import { RenderError, type RenderErrorOptions } from './render-error';

/** The queue backend (Redis, SQLite) did not answer; the client may try again later. */
export class QueueUnavailableError extends RenderError {
  readonly code = 'QUEUE_UNAVAILABLE';
  readonly category = 'resource' as const;
  readonly httpStatus = 503;
  readonly retryable = true;

  constructor(message = 'the job queue is unavailable; try again later', options?: RenderErrorOptions) {
    super(message, options);
  }
}
