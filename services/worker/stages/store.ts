/**
 * The store stage: moves the encoded file to `outputDir/<jobId>.mp4` through a temp name in the
 * same directory, so readers never see a half-written video, then probes what was stored.
 */
import { copyFile, mkdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { JobOutput } from '../../shared/job';
import { classifyError } from '../../shared/errors/classify';
import { ATTR } from '../../telemetry/attributes';
import { trace } from '@opentelemetry/api';
import { probeMedia } from '../probe';
import { throwIfAborted, withStageTimeout, type StageContext } from './context';

/** The stored video: where it is and what it is. */
export interface StoreResult {
  outputPath: string;
  output: JobOutput;
}

/** The URL clients download a job's output from: absolute under PUBLIC_URL when set, so webhook receivers can use it as is. */
export function outputUrl(jobId: string, publicUrl?: string): string {
  return `${publicUrl ? publicUrl.replace(/\/+$/, '') : ''}/api/jobs/${encodeURIComponent(jobId)}/output`;
}

/** Moves `encodedFile` into the output dir and describes it. */
export async function storeStage(ctx: StageContext, encodedFile: string): Promise<StoreResult> {
  return withStageTimeout('store', ctx.config.timeouts.store, ctx.signal, async (signal) => {
    const dir = ctx.config.outputDir;
    // Per attempt: two attempts of one job never write (or delete) the same file; the record names the winner's.
    const finalPath = path.join(dir, ctx.attemptId ? `${ctx.jobId}.${ctx.attemptId}.mp4` : `${ctx.jobId}.mp4`);
    const tmpPath = path.join(dir, `.${ctx.jobId}.${process.pid}.${Date.now()}.tmp`);
    try {
      await mkdir(dir, { recursive: true });
      await moveInto(encodedFile, tmpPath);
      throwIfAborted(signal);
      const probe = await probeMedia(tmpPath, signal);
      await rename(tmpPath, finalPath);
      const { size } = await stat(finalPath);
      const output: JobOutput = {
        url: outputUrl(ctx.jobId, ctx.config.publicUrl),
        bytes: size,
        durationSeconds: probe.durationSeconds,
        width: probe.width ?? ctx.request.config.width,
        height: probe.height ?? ctx.request.config.height,
      };
      trace
        .getActiveSpan()
        ?.setAttributes({ [ATTR.RENDER_OUTPUT_BYTES]: size, [ATTR.RENDER_OUTPUT_DURATION_SECONDS]: probe.durationSeconds });
      return { outputPath: finalPath, output };
    } catch (err) {
      await unlink(tmpPath).catch(() => undefined);
      throwIfAborted(signal);
      throw classifyError(err, { stage: 'store', timeoutMs: ctx.config.timeouts.store });
    }
  });
}

async function moveInto(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    // The scratch dir may be on another filesystem (tmpfs); copy then rename keeps the final step atomic.
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyFile(from, to);
  }
}
