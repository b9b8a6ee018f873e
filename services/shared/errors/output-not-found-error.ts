import { RenderError } from './render-error';

/** A completed job's video is not in storage (deleted, expired, or written by a worker whose disk is gone). */
export class OutputNotFoundError extends RenderError {
  readonly code = 'OUTPUT_NOT_FOUND';
  readonly category = 'storage' as const;
  readonly httpStatus = 404;
  readonly retryable = false;
}
