/**
 * The tts stage: espeak-ng speaks each narration that has no recorded audio into a WAV. The text
 * goes through a file (`-f`), never argv, so narration can hold anything without becoming an option.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TtsError } from '../../shared/errors/tts-error';
import { ATTR } from '../../telemetry/attributes';
import { withSpan } from '../../telemetry/tracing';
import { runChild } from '../child';
import { takeChildrenCpuSeconds } from '../child-cpu';
import { recordChildCpu } from '../../telemetry/metrics';
import { throwIfAborted, withStageTimeout, type SlideWork, type StageContext } from './context';

/** Fills `assets.audioPath` for narrated slides without audio; returns the same list. */
export async function ttsStage(ctx: StageContext, work: SlideWork[]): Promise<SlideWork[]> {
  const todo = work.filter((w) => w.slide.narration && !w.assets.audioPath);
  if (todo.length === 0) return work;
  await withStageTimeout('tts', ctx.config.timeouts.tts, ctx.signal, async (signal) => {
    for (const item of todo) {
      item.assets.audioPath = await speak({ ...ctx, signal }, item.slide.narration as string, item.index);
      item.assets.audioDemuxer = 'wav';
    }
  });
  return work;
}

/** Speaks one narration into `slide-<index>-tts.wav` in its own span; returns the WAV path. */
export async function speak(ctx: StageContext, text: string, index: number): Promise<string> {
  return withSpan('tts narration', { [ATTR.RENDER_SLIDE_INDEX]: index }, async (span) => {
    const textFile = path.join(ctx.scratchDir, `slide-${index}-narration.txt`);
    const wav = path.join(ctx.scratchDir, `slide-${index}-tts.wav`);
    await writeFile(textFile, text, 'utf8');
    const voice = ctx.request.config.voice;
    const result = await runChild('espeak-ng', ['-v', voice, '-w', wav, '-f', textFile], { signal: ctx.signal });
    recordChildCpu('tts', takeChildrenCpuSeconds());
    if (result.aborted) throwIfAborted(ctx.signal);
    if (result.exitCode !== 0) {
      throw new TtsError(
        `espeak-ng failed for slide ${index} with voice ${voice} (exit ${result.exitCode ?? result.signal}): ${result.stderrTail.trim().slice(-300)}`,
        { stderrTail: result.stderrTail },
      );
    }
    span.setAttribute('render.tts.voice', voice);
    return wav;
  });
}
