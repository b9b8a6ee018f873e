import { RenderError, type RenderErrorOptions } from './render-error';

/** espeak-ng could not speak a narration (unknown voice, non-zero exit). */
export class TtsError extends RenderError {
  readonly code = 'TTS_FAILED';
  readonly category = 'unknown' as const;
  readonly httpStatus = 500;
  readonly retryable = false;

  constructor(message: string, options?: RenderErrorOptions) {
    super(message, options);
  }
}
