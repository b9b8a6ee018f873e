import { RenderError } from './render-error';

/** The finished video is not what was planned (a stream missing, wrong length or frame count): never shipped. */
export class OutputMismatchError extends RenderError {
  readonly code = 'OUTPUT_MISMATCH';
  readonly category = 'ffmpeg' as const;
  readonly httpStatus = 500;
  /** The same inputs give the same output, so another attempt would not help. */
  readonly retryable = false;
}
