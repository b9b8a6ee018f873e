import { RenderError } from './render-error';

/** A client mistake outside the deck schema: malformed JSON, an oversized body, a bad query parameter. */
export class BadRequestError extends RenderError {
  readonly category = 'validation' as const;
  readonly retryable = false;

  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
  }
}
