/**
 * FFmpeg arguments for one slide's pieces. The picture run draws the slide once (image decoded,
 * scaled and padded once, text drawn once) and from that one frame writes the encoded static
 * piece, the still for the fade runs (raw, so it is never re-encoded) and a PCM WAV of exactly the
 * slide's length; each fade run encodes only its fade frames from the still. User text reaches
 * drawtext only through `textfile=` files with `expansion=none`, so quotes, colons or `%{…}` in a
 * title are drawn literally.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { QUALITY_PRESETS, type RenderConfig } from '../../shared/request';
import type { SlideWork } from './context';
import { mediaInputArgs } from '../media-input';
import type { SlidePieces } from './slide-pieces';

/** The font every slide uses (fonts-dejavu-core). */
export const FONT_FILE = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
/** Audio format of every segment, so the concat demuxer can join the WAVs sample-exactly. */
export const AUDIO_RATE = 48_000;
/** Colour behind text-only slides and around images that do not fill the frame. */
export const BACKGROUND = '0x1e293b';

/** One slide's planned segment: its frames and the files its pieces are written to (relative to the scratch dir). */
export interface SegmentPlan {
  index: number;
  frames: number;
  seconds: number;
  /** The encoded static piece (one GOP). */
  video: string;
  /** PCM audio of exactly `seconds`. */
  audio: string;
  /** The drawn picture, raw yuv420p in NUT, read by the fade runs. */
  still: string;
  fadeIn: string;
  fadeOut: string;
}

/** Wraps text at word boundaries to `width` characters, because drawtext never wraps. */
export function wrapText(text: string, width: number): string {
  const out: string[] = [];
  for (const para of text.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n')) {
    let line = '';
    for (const word of para.split(/ +/)) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = '';
      }
      for (let w = word; w.length > 0; ) {
        const room = width - (line ? line.length + 1 : 0);
        if (w.length <= room || (!line && w.length <= width)) {
          line = line ? `${line} ${w}` : w;
          w = '';
        } else if (!line) {
          out.push(w.slice(0, width));
          w = w.slice(width);
        } else {
          out.push(line);
          line = '';
        }
      }
    }
    out.push(line);
  }
  return out.join('\n');
}

/** FFmpeg's flags common to every run: `-benchmark` makes it report its own CPU time on stderr. */
export const COMMON_FLAGS = ['-hide_banner', '-nostdin', '-y', '-nostats', '-benchmark'];

/** x264 output options shared by every piece, so the pieces' parameter sets match and concatenate by stream copy. */
function x264(cfg: RenderConfig, threads: number): string[] {
  const { preset, crf } = QUALITY_PRESETS[cfg.quality];
  return [
    '-c:v',
    'libx264',
    '-preset',
    preset,
    '-crf',
    String(crf),
    '-pix_fmt',
    'yuv420p',
    // No B-frames: decode order is display order, so a copy cut by `outpoint` keeps exactly its first frames.
    '-bf',
    '0',
    '-threads',
    String(threads),
    // Frames arrive timestamped N/fps; passthrough stops FFmpeg from duplicating or dropping any.
    '-fps_mode',
    'passthrough',
    '-r',
    String(cfg.fps),
    '-an',
  ];
}

/** A filter chain that repeats its one input frame `frames` times, timestamped frame by frame. */
function repeat(frames: number, fps: number): string {
  return `loop=loop=${frames - 1}:size=1,setpts=N/(${fps}*TB)`;
}

/**
 * Writes the slide's text files and returns the filters that draw its picture on a frame: scaled
 * and padded to the output size, title and content drawn. (The bench's one-pass reference draws
 * with the same filters.)
 */
export async function drawFilters(scratchDir: string, item: SlideWork, index: number, cfg: RenderConfig): Promise<string[]> {
  const { width: W, height: H } = cfg;
  const titleSize = Math.max(8, Math.round(H / 14));
  const bodySize = Math.max(6, Math.round(H / 26));
  const filters = [
    `scale=${W}:${H}:force_original_aspect_ratio=decrease`,
    `pad=${W}:${H}:(ow-iw)/2:(oh-ih)/2:color=${BACKGROUND}`,
    'setsar=1',
  ];
  const draw = (file: string, size: number, y: string) =>
    `drawtext=fontfile=${FONT_FILE}:textfile=${file}:expansion=none:fontsize=${size}:fontcolor=white:` +
    `borderw=2:bordercolor=black@0.6:line_spacing=${Math.round(size / 3)}:x=(w-text_w)/2:y=${y}`;
  if (item.slide.title) {
    const file = `slide-${index}-title.txt`;
    await writeFile(path.join(scratchDir, file), wrapText(item.slide.title, Math.floor((W * 0.9) / (titleSize * 0.6))), 'utf8');
    filters.push(draw(file, titleSize, `${Math.round(H * 0.08)}`));
  }
  if (item.slide.content) {
    const file = `slide-${index}-content.txt`;
    await writeFile(path.join(scratchDir, file), wrapText(item.slide.content, Math.floor((W * 0.85) / (bodySize * 0.58))), 'utf8');
    filters.push(draw(file, bodySize, `${Math.round(H * 0.3)}`));
  }
  return filters;
}

/** Which of a slide's pieces one picture run writes (the others are already at hand, from the piece cache). */
export interface PictureOutputs {
  video: boolean;
  still: boolean;
  audio: boolean;
}

/** Every piece a picture run can write. */
export const ALL_OUTPUTS: Readonly<PictureOutputs> = Object.freeze({ video: true, still: true, audio: true });

/**
 * The arguments of a picture run writing `want` of the slide's pieces: the static piece, the still
 * and the slide's WAV, the slide drawn once for the first two. `draw` is drawFilters' result. The
 * same function with one output wanted is the command a piece's key hashes (pieces/piece-key.ts),
 * and a run writing several makes each one byte for byte as its own run would.
 */
export function pictureArgs(
  item: SlideWork,
  plan: SegmentPlan,
  pieces: SlidePieces,
  cfg: RenderConfig,
  threads: number,
  draw: string[],
  want: PictureOutputs = ALL_OUTPUTS,
): string[] {
  const { width: W, height: H, fps } = cfg;
  const needsStill = want.still && (pieces.fadeIn > 0 || pieces.fadeOut > 0);
  const inputs: string[] = [];
  const graphs: string[] = [];
  const outputs: string[] = [];
  if (want.video || needsStill) {
    const v = 0;
    inputs.push(
      ...(item.assets.imagePath
        ? mediaInputArgs(path.basename(item.assets.imagePath), item.assets.imageDemuxer)
        : ['-f', 'lavfi', '-i', `color=c=${BACKGROUND}:s=${W}x${H}:r=${fps}:d=1`]),
    );
    // Only the first frame is used: an image is decoded once, whatever it is.
    const filters = ['trim=end_frame=1', ...draw, 'format=yuv420p'].join(',');
    const loop = repeat(pieces.gop, fps);
    if (want.video && needsStill) graphs.push(`[${v}:v]${filters},split=2[still][s];[s]${loop}[v]`);
    else if (want.video) graphs.push(`[${v}:v]${filters},${loop}[v]`);
    else graphs.push(`[${v}:v]${filters}[still]`);
    if (want.video)
      // One GOP: a single keyframe, the rest predicted from it.
      outputs.push('-map', '[v]', ...x264(cfg, threads), '-g', String(pieces.gop), plan.video);
    if (needsStill) outputs.push('-map', '[still]', '-frames:v', '1', '-c:v', 'rawvideo', '-f', 'nut', plan.still);
  }
  if (want.audio) {
    const a = inputs.filter((x) => x === '-i').length;
    inputs.push(
      ...(item.assets.audioPath
        ? mediaInputArgs(path.basename(item.assets.audioPath), item.assets.audioDemuxer, ['-vn'])
        : ['-f', 'lavfi', '-i', `anullsrc=r=${AUDIO_RATE}:cl=stereo`]),
    );
    graphs.push(
      `[${a}:a]aformat=sample_rates=${AUDIO_RATE}:channel_layouts=stereo,apad=whole_dur=${plan.seconds},atrim=end=${plan.seconds}[a]`,
    );
    outputs.push('-map', '[a]', '-c:a', 'pcm_s16le', '-ar', String(AUDIO_RATE), '-ac', '2', plan.audio);
  }
  return [...COMMON_FLAGS, ...inputs, '-filter_complex', graphs.join(';'), ...outputs];
}

/** The text files drawFilters writes for slide `index` (those of them that exist). */
export function textFiles(index: number): string[] {
  return [`slide-${index}-title.txt`, `slide-${index}-content.txt`];
}

/** One fade of a fade run: `frames` frames of `plan`'s still fading in from or out to black. */
export interface FadePart {
  plan: SegmentPlan;
  kind: 'in' | 'out';
  frames: number;
}

/**
 * Arguments of a fade run writing `output`: its fades one after the other, each from its slide's
 * still. A transition (one slide fading out, the next fading in) is one run and one piece: one
 * encoder start and one keyframe instead of two.
 */
export function fadeArgs(parts: FadePart[], output: string, cfg: RenderConfig, threads: number): string[] {
  // A single fade is the output itself; a transition's fades are labelled and joined by concat.
  const label = (i: number) => (parts.length === 1 ? '[v]' : `[f${i}]`);
  const chains = parts.map((p, i) => `[${i}:v]${repeat(p.frames, cfg.fps)},fade=t=${p.kind}:s=0:n=${p.frames}${label(i)}`);
  const joined =
    parts.length === 1
      ? chains[0]
      : `${chains.join(';')};${parts.map((_, i) => label(i)).join('')}concat=n=${parts.length}:v=1:a=0,setpts=N/(${cfg.fps}*TB)[v]`;
  return [
    ...COMMON_FLAGS,
    ...parts.flatMap((p) => mediaInputArgs(p.plan.still, 'nut')),
    '-filter_complex',
    joined,
    '-map',
    '[v]',
    ...x264(cfg, threads),
    output,
  ];
}
