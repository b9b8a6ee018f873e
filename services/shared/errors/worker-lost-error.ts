import { RenderError } from './render-error';

/** The queue gave up on a job whose workers kept dying mid-attempt (stalled past the limit); retrying blindly could crash more workers. */
export class WorkerLostError extends RenderError {
  readonly code = 'WORKER_LOST';
  readonly category = 'resource' as const;
  readonly httpStatus = 500;
  readonly retryable = false;

  constructor(detail: string) {
    super(`the job's worker stopped while running it too many times: ${detail}`);
  }
}
