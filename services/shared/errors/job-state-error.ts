import { RenderError } from './render-error';

/** Codes for asking a job to do what its status does not allow. */
export type JobStateCode = 'JOB_NOT_COMPLETED' | 'JOB_ALREADY_FINISHED' | 'JOB_NOT_RETRYABLE';

/** The job's status does not allow this operation (cancel a finished job, download before completion, retry a running one). */
export class JobStateError extends RenderError {
  readonly category = 'validation' as const;
  readonly httpStatus = 409;
  readonly retryable = false;

  constructor(
    readonly code: JobStateCode,
    message: string,
  ) {
    super(message);
  }
}
