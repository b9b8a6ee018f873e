import { RenderError, type RenderErrorOptions } from './render-error';

/** Writing the output or scratch files failed (disk full, read-only, permission). */
export class StorageError extends RenderError {
  readonly code = 'STORAGE_FAILED';
  readonly category = 'storage' as const;
  readonly httpStatus = 507;
  readonly retryable = true;

  constructor(
    message: string,
    readonly systemCode: string | null = null,
    options?: RenderErrorOptions,
  ) {
    super(message, options);
  }
}
