import { RenderError, type RenderErrorOptions } from './render-error';

/** The object store did not answer or answered "busy" (network error, 5xx, throttling): try again later. */
export class StorageUnavailableError extends RenderError {
  readonly code = 'STORAGE_UNAVAILABLE';
  readonly category = 'storage' as const;
  readonly httpStatus = 503;
  readonly retryable = true;

  constructor(message = 'the video storage is unavailable; try again later', options?: RenderErrorOptions) {
    super(message, options);
  }
}
