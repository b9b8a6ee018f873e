import { RenderError, type RenderErrorOptions } from './render-error';

/**
 * Writing, reading or deleting a stored video failed (disk full, read-only, permission, an object
 * store refusing). Retryable unless the backend said retrying cannot help (access denied, no bucket).
 */
export class StorageError extends RenderError {
  readonly code = 'STORAGE_FAILED';
  readonly category = 'storage' as const;
  readonly httpStatus = 507;
  readonly retryable: boolean;

  constructor(
    message: string,
    readonly systemCode: string | null = null,
    options: RenderErrorOptions & { retryable?: boolean } = {},
  ) {
    super(message, options);
    this.retryable = options.retryable ?? true;
  }
}
