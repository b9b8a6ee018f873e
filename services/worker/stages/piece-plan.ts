/**
 * The keys of a deck's pieces (pieces/piece-key.ts): per slide its static piece, its still (when a
 * fade reads it) and its WAV, and one per fade run. Each key hashes the command that makes that
 * piece alone, its inputs by their bytes, so a slide whose text, image or audio changed gets new
 * keys for its own pieces and for the fades that read its still, and no others.
 */
import path from 'node:path';
import type { RenderConfig } from '../../shared/request';
import { fileSha256, pieceKey, type PieceCommand } from '../pieces/piece-key';
import type { PieceRef } from '../pieces/piece-cache';
import { ffmpegFingerprint } from '../pieces/tool-versions';
import type { SlideWork } from './context';
import type { FadeRun } from './encode';
import type { SlidePieces } from './slide-pieces';
import { FONT_FILE, fadeArgs, pictureArgs, textFiles, type SegmentPlan } from './slide-segment';

/** One slide's pieces. */
export interface SlidePieceRefs {
  video: PieceRef;
  /** Null when no fade reads the slide's still. */
  still: PieceRef | null;
  audio: PieceRef;
}

/** The keys of every piece of the deck. */
export interface DeckPieces {
  slides: SlidePieceRefs[];
  /** One per fade run, in fadeRuns' order. */
  fades: PieceRef[];
}

let fontDigest: Promise<string> | undefined;

/** Plans the keys; `draws` are the slides' drawFilters (their text files already written in `scratchDir`). */
export async function planPieceKeys(
  scratchDir: string,
  work: SlideWork[],
  plans: SegmentPlan[],
  pieces: SlidePieces[],
  runs: FadeRun[],
  cfg: RenderConfig,
  threads: number,
  draws: string[][],
): Promise<DeckPieces> {
  const fingerprint = await ffmpegFingerprint();
  fontDigest ??= fileSha256(FONT_FILE).catch(() => `missing font ${Math.random()}`);
  const font = await fontDigest;
  const key = (args: string[], inputs: Record<string, string>, outputs: string[]) =>
    pieceKey({ tool: 'ffmpeg', toolFingerprint: fingerprint, args, inputs, outputs } satisfies PieceCommand);

  const slides = await Promise.all(
    plans.map(async (plan): Promise<SlidePieceRefs> => {
      const item = work[plan.index];
      const p = pieces[plan.index];
      const draw = draws[plan.index];
      const picture: Record<string, string> = { [FONT_FILE]: font };
      for (const name of textFiles(plan.index)) {
        if (draw.some((f) => f.includes(`textfile=${name}:`))) picture[name] = await fileSha256(path.join(scratchDir, name));
      }
      if (item.assets.imagePath) picture[path.basename(item.assets.imagePath)] = await fileSha256(item.assets.imagePath);
      const sound: Record<string, string> = {};
      if (item.assets.audioPath) sound[path.basename(item.assets.audioPath)] = await fileSha256(item.assets.audioPath);
      const only = (video: boolean, still: boolean, audio: boolean) =>
        pictureArgs(item, plan, p, cfg, threads, draw, { video, still, audio });
      const fades = p.fadeIn > 0 || p.fadeOut > 0;
      return {
        video: { kind: 'static', key: key(only(true, false, false), picture, [plan.video]) },
        still: fades ? { kind: 'still', key: key(only(false, true, false), picture, [plan.still]) } : null,
        audio: { kind: 'audio', key: key(only(false, false, true), sound, [plan.audio]) },
      };
    }),
  );
  const fades = runs.map((run): PieceRef => {
    const inputs: Record<string, string> = {};
    for (const part of run.parts) {
      const still = slides[part.plan.index].still;
      if (!still) throw new Error(`slide ${part.plan.index} fades but has no still`);
      inputs[part.plan.still] = still.key;
    }
    return { kind: 'fade', key: key(fadeArgs(run.parts, run.file, cfg, threads), inputs, [run.file]) };
  });
  return { slides, fades };
}
