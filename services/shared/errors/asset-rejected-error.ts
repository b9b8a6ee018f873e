import { RenderError, type RenderErrorOptions } from './render-error';

/** Codes for an asset that downloaded but cannot be used. */
export type AssetRejectedCode = 'ASSET_INVALID' | 'ASSET_NOT_FOUND' | 'ASSET_REDIRECT_LIMIT' | 'IMAGE_TOO_LARGE' | 'DECK_TOO_LONG';

/**
 * An asset answered but is unusable (wrong content type or format, 404, too many redirects, an image
 * over the pixel cap, audio that makes the deck too long); retrying will not help.
 */
export class AssetRejectedError extends RenderError {
  readonly category = 'validation' as const;
  readonly httpStatus = 422;
  readonly retryable = false;

  constructor(
    readonly code: AssetRejectedCode,
    message: string,
    options?: RenderErrorOptions,
  ) {
    super(message, options);
  }
}
