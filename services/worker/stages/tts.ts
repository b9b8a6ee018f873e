/**
 * The tts stage: espeak-ng speaks each narration that has no recorded audio into a WAV. The text
 * goes through a file (`-f`), never argv, so narration can hold anything without becoming an option.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TtsError } from '../../shared/errors';
import { ATTR } from '../../telemetry/attributes';
import { withSpan } from '../../telemetry/tracing';
import { runChild } from '../child';
import { takeChildrenCpuSeconds } from '../child-cpu';
import { recordChildCpu } from '../../telemetry/metrics';
import { throwIfAborted, withStageTimeout, type SlideWork, type StageContext } from './context';
import { ANONYMOUS_CLIENT } from '../../shared/job';
import { pieceCacheFor, type PieceRef } from '../pieces/piece-cache';
import { pieceKey, sha256, type PieceCommand } from '../pieces/piece-key';
import { espeakFingerprint } from '../pieces/tool-versions';

/**
 * Fills `assets.audioPath` for narrated slides without audio; returns the same list. A narration
 * the piece cache holds (same text, voice and espeak-ng) is restored instead of spoken again.
 */
export async function ttsStage(ctx: StageContext, work: SlideWork[]): Promise<SlideWork[]> {
  const todo = work.filter((w) => w.slide.narration && !w.assets.audioPath);
  if (todo.length === 0) return work;
  const settings = ctx.config.pieceCache;
  const cache =
    settings && settings.maxBytes > 0
      ? pieceCacheFor(ctx.storage, { ...settings, minFreeBytes: ctx.config.minFreeBytes }, ctx.client ?? ANONYMOUS_CLIENT, ctx.logger)
      : null;
  await withStageTimeout('tts', ctx.config.timeouts.tts, ctx.signal, async (signal) => {
    for (const item of todo) {
      const text = item.slide.narration as string;
      const { wav, textFile } = narrationFiles(ctx.scratchDir, item.index);
      const piece: PieceRef | null = cache
        ? { kind: 'narration', key: pieceKey(espeakCommand(await espeakFingerprint(), ctx.request.config.voice, wav, textFile, text)) }
        : null;
      if (!(piece && cache && (await cache.restore(piece, wav)))) {
        await speak({ ...ctx, signal }, text, item.index);
        if (piece && cache) await cache.save(piece, wav);
      }
      item.assets.audioPath = wav;
      item.assets.audioDemuxer = 'wav';
      if (piece) item.assets.audioPiece = piece;
    }
  });
  return work;
}

function narrationFiles(scratchDir: string, index: number): { wav: string; textFile: string } {
  return { textFile: path.join(scratchDir, `slide-${index}-narration.txt`), wav: path.join(scratchDir, `slide-${index}-tts.wav`) };
}

function espeakArgs(voice: string, wav: string, textFile: string): string[] {
  return ['-v', voice, '-w', wav, '-f', textFile];
}

/** The command a narration piece's key hashes: the text by its bytes, the voice, espeak-ng's fingerprint. */
export function espeakCommand(fingerprint: string, voice: string, wav: string, textFile: string, text: string): PieceCommand {
  return {
    tool: 'espeak-ng',
    toolFingerprint: fingerprint,
    args: espeakArgs(voice, wav, textFile),
    inputs: { [textFile]: sha256(Buffer.from(text, 'utf8')) },
    outputs: [wav],
  };
}

/** Speaks one narration into `slide-<index>-tts.wav` in its own span; returns the WAV path. */
export async function speak(ctx: StageContext, text: string, index: number): Promise<string> {
  return withSpan('tts narration', { [ATTR.RENDER_SLIDE_INDEX]: index }, async (span) => {
    const { wav, textFile } = narrationFiles(ctx.scratchDir, index);
    await writeFile(textFile, text, 'utf8');
    const voice = ctx.request.config.voice;
    const result = await runChild('espeak-ng', espeakArgs(voice, wav, textFile), { signal: ctx.signal });
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
