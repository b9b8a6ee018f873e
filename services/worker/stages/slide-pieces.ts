/**
 * How one slide's frames are split into encoded pieces. A slide is a still picture except for its
 * fades, so only the fade frames are encoded one by one; the static stretch is encoded once as a
 * single GOP and repeated into the slide's length by stream copy, the last copy cut short (the
 * concat demuxer's `outpoint`) so the slide keeps its exact frame count.
 */

/** Shortest static piece, in seconds: every repeated copy starts with a keyframe, so shorter pieces cost bytes. */
export const STATIC_GOP_SECONDS = 2;
/** Longest fade, in seconds (a quarter of a short slide at most), as before the pieces existed. */
export const MAX_FADE_SECONDS = 0.5;

/** The pieces of one slide, in frames. */
export interface SlidePieces {
  /** Frames of the fade-in piece (0: no fade). */
  fadeIn: number;
  /** Frames of the fade-out piece (0: no fade). */
  fadeOut: number;
  /** Frames of the encoded static piece (one GOP). */
  gop: number;
  /** Whole copies of the static piece. */
  repeats: number;
  /** Frames of a last, cut copy of the static piece (0: none). */
  remainder: number;
}

/** Splits a slide of `frames` frames at `fps`; `fade` adds a fade-in and a fade-out. */
export function slidePieces(frames: number, fps: number, fade: boolean): SlidePieces {
  if (!Number.isInteger(frames) || frames < 1) throw new RangeError(`a slide needs at least one frame, got ${frames}`);
  const seconds = frames / fps;
  // At least one static frame stays between the fades, so every slide has a static piece.
  const fadeFrames = fade ? Math.min(Math.round(Math.min(MAX_FADE_SECONDS, seconds / 4) * fps), Math.floor((frames - 1) / 2)) : 0;
  const still = frames - 2 * fadeFrames;
  const gop = Math.min(still, Math.max(1, Math.ceil(STATIC_GOP_SECONDS * fps)));
  return { fadeIn: fadeFrames, fadeOut: fadeFrames, gop, repeats: Math.floor(still / gop), remainder: still % gop };
}

/** Frames the pieces add up to (the slide's planned frame count). */
export function piecesFrames(p: SlidePieces): number {
  return p.fadeIn + p.gop * p.repeats + p.remainder + p.fadeOut;
}

/**
 * The concat demuxer's `outpoint` that keeps exactly `frames` frames of a piece: it drops packets
 * whose timestamp is at or past it, so any value in ((frames − 1)/fps, frames/fps] works; rounding
 * down to the microsecond keeps it in that range.
 */
export function outpointSeconds(frames: number, fps: number): string {
  return (Math.floor((frames * 1e6) / fps) / 1e6).toFixed(6);
}
