import { RenderError } from './render-error';

/** The queue already holds RENDER_MAX_QUEUED_JOBS waiting jobs: 503 with `Retry-After`; try again later. */
export class QueueFullError extends RenderError {
  readonly code = 'QUEUE_FULL';
  readonly category = 'resource' as const;
  readonly httpStatus = 503;
  readonly retryable = true;
  readonly retryAfterSeconds = 30;

  constructor(message = 'the render queue is full; try again later') {
    super(message);
  }
}
