import { RenderError } from './render-error';

/** No job has this id. */
export class JobNotFoundError extends RenderError {
  readonly code = 'JOB_NOT_FOUND';
  readonly category = 'validation' as const;
  readonly httpStatus = 404;
  readonly retryable = false;

  constructor(id: string) {
    super(`no job with id ${JSON.stringify(id)}`);
  }
}
