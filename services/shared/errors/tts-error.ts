import { RenderError, type RenderErrorOptions } from './render-error';

/** espeak-ng could not speak a narration (unknown voice, non-zero exit). */
export class TtsError extends RenderError {
  readonly code = 'TTS_FAILED';
  readonly category = 'unknown' as const;
  readonly httpStatus = 500;
  readonly retryable = false;

  /** espeak-ng's stderr tail when it ran and failed (the runner logs its last lines). */
  readonly stderrTail: string;

  constructor(message: string, options?: RenderErrorOptions & { stderrTail?: string }) {
    super(message, options);
    this.stderrTail = options?.stderrTail ?? '';
  }
}
