import { RenderError } from './render-error';

/** The asset host refused access (401/403); retrying without new credentials will not help. */
export class AssetAuthError extends RenderError {
  readonly code = 'ASSET_UNAUTHORIZED';
  readonly category = 'auth' as const;
  readonly httpStatus = 502;
  readonly retryable = false;
}
