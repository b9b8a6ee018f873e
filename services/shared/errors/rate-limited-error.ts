import { RenderError } from './render-error';

/** Codes for a client over one of its own limits. */
export type RateLimitedCode = 'RATE_LIMITED' | 'TOO_MANY_ACTIVE_JOBS';

/**
 * A client is over its submission rate (RENDER_SUBMIT_RATE_PER_MINUTE) or its cap on jobs queued or
 * running (RENDER_MAX_ACTIVE_JOBS_PER_CLIENT): 429 with `Retry-After`; the same submission may be sent
 * again later, ideally with the same Idempotency-Key.
 */
export class RateLimitedError extends RenderError {
  readonly category = 'resource' as const;
  readonly httpStatus = 429;
  readonly retryable = true;

  constructor(
    readonly code: RateLimitedCode,
    message: string,
    /** Whole seconds to wait before trying again (the `Retry-After` header). */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
