/**
 * The store stage: the encoded file is verified where it was made (ffprobe on local scratch), then
 * uploaded to the video storage under this attempt's own key (`storage.keyFor(jobId, attempt)`).
 * It does not publish: the runner puts the key on the job record only if this attempt wins the
 * final status update (see ../publish.ts), and deletes the object otherwise. Scratch stays local
 * and the runner removes it.
 */
import { trace } from '@opentelemetry/api';
import type { JobOutput } from '../../shared/job';
import { classifyError } from '../../shared/errors/classify';
import { ATTR } from '../../telemetry/attributes';
import { probeMedia } from '../probe';
import type { CheckedOutput } from './output-check';
import { throwIfAborted, withStageTimeout, type StageContext } from './context';

/** The MIME type every stored video has. */
export const VIDEO_CONTENT_TYPE = 'video/mp4';

/** The stored video: under which key, and what it is. */
export interface StoreResult {
  /** This attempt's object key in the video storage (not yet published on the job record). */
  outputKey: string;
  output: JobOutput;
}

/** The URL clients download a job's output from: absolute under PUBLIC_URL when set, so webhook receivers can use it as is. */
export function outputUrl(jobId: string, publicUrl?: string): string {
  return `${publicUrl ? publicUrl.replace(/\/+$/, '') : ''}/api/jobs/${encodeURIComponent(jobId)}/output`;
}

/**
 * Verifies `encodedFile`, uploads it under this attempt's key and describes it. `checked` is the
 * encode stage's own probe of the same file (output-check.ts): given, the file is not probed twice.
 */
export async function storeStage(ctx: StageContext, encodedFile: string, checked?: CheckedOutput): Promise<StoreResult> {
  return withStageTimeout('store', ctx.config.timeouts.store, ctx.signal, async (signal) => {
    const key = ctx.storage.keyFor(ctx.jobId, ctx.attempt);
    let uploaded = false;
    try {
      const probe = checked
        ? { durationSeconds: Math.max(checked.videoSeconds, checked.audioSeconds), width: null, height: null }
        : await probeMedia(encodedFile, signal);
      throwIfAborted(signal);
      const info = await ctx.storage.put(key, encodedFile, { contentType: VIDEO_CONTENT_TYPE, signal });
      uploaded = true;
      throwIfAborted(signal);
      const output: JobOutput = {
        url: outputUrl(ctx.jobId, ctx.config.publicUrl),
        bytes: info.bytes,
        durationSeconds: probe.durationSeconds,
        width: probe.width ?? ctx.request.config.width,
        height: probe.height ?? ctx.request.config.height,
      };
      trace
        .getActiveSpan()
        ?.setAttributes({ [ATTR.RENDER_OUTPUT_BYTES]: info.bytes, [ATTR.RENDER_OUTPUT_DURATION_SECONDS]: probe.durationSeconds });
      return { outputKey: key, output };
    } catch (err) {
      // This attempt's own object only: it was never published, so nobody else can be serving it.
      if (uploaded) await ctx.storage.delete(key).catch(() => undefined);
      throwIfAborted(signal);
      throw classifyError(err, { stage: 'store', timeoutMs: ctx.config.timeouts.store });
    }
  });
}
