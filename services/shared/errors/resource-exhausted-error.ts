import { RenderError, type RenderErrorOptions } from './render-error';

/** The machine ran out of something (memory, file descriptors, an asset over the size cap, a missing tool); may succeed later. */
export class ResourceExhaustedError extends RenderError {
  readonly category = 'resource' as const;
  readonly httpStatus = 503;

  constructor(
    readonly code: 'RESOURCE_EXHAUSTED' | 'ASSET_TOO_LARGE' | 'TOOL_MISSING',
    message: string,
    readonly retryable = true,
    options?: RenderErrorOptions,
  ) {
    super(message, options);
  }
}
