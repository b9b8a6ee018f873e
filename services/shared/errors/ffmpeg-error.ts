import { RenderError, type RenderErrorOptions } from './render-error';

/** FFmpeg (or ffprobe) exited with an error; `exitCode`/`signal` and the stderr tail tell why. */
export class FfmpegError extends RenderError {
  readonly code = 'FFMPEG_FAILED';
  readonly category = 'ffmpeg' as const;
  readonly httpStatus = 500;
  /** A signal kill (OOM killer, host shutdown) is worth another try; a non-zero exit on the same input is not. */
  readonly retryable: boolean;

  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderrTail: string,
    options?: RenderErrorOptions,
  ) {
    super(message, options);
    this.retryable = signal !== null;
  }
}
