import { RenderError, type RenderErrorOptions } from './render-error';

/** An asset could not be downloaded for a network reason (refused, unresolvable, reset, 5xx); retrying may help. */
export class AssetFetchError extends RenderError {
  readonly code = 'ASSET_FETCH_FAILED';
  readonly category = 'network' as const;
  readonly httpStatus = 502;
  readonly retryable = true;

  constructor(message: string, options?: RenderErrorOptions) {
    super(message, options);
  }
}
