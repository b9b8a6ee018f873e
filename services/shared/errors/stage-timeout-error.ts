import { RenderError, type RenderErrorOptions } from './render-error';

/** A stage (or an asset download) ran past its time limit. */
export class StageTimeoutError extends RenderError {
  readonly code = 'STAGE_TIMEOUT';
  readonly category = 'timeout' as const;
  readonly httpStatus = 504;
  readonly retryable = true;

  constructor(
    readonly stage: string,
    readonly timeoutMs: number,
    options?: RenderErrorOptions,
  ) {
    super(`stage ${stage} exceeded its ${timeoutMs} ms limit`, options);
  }
}
