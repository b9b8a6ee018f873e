/**
 * FFmpeg arguments for one slide: a video-only H.264 segment and a PCM WAV of exactly the same
 * length, produced by one FFmpeg run. User text reaches drawtext only through `textfile=` files
 * with `expansion=none`, so quotes, colons or `%{…}` in a title are drawn literally.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { QUALITY_PRESETS, type RenderConfig } from '../../shared/request';
import { mediaInputArgs } from '../media-input';
import type { SlideWork } from './context';

/** The font every slide uses (fonts-dejavu-core). */
export const FONT_FILE = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
/** Audio format of every segment, so the concat demuxer can join the WAVs sample-exactly. */
export const AUDIO_RATE = 48_000;
const BACKGROUND = '0x1e293b';

/** One slide's planned segment: frames to encode and the files it writes (relative to the scratch dir). */
export interface SegmentPlan {
  index: number;
  frames: number;
  seconds: number;
  video: string;
  audio: string;
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

/** Writes the slide's text files and returns FFmpeg's arguments for its segment. */
export async function segmentArgs(scratchDir: string, item: SlideWork, plan: SegmentPlan, cfg: RenderConfig): Promise<string[]> {
  const { width: W, height: H, fps } = cfg;
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
    const file = `slide-${plan.index}-title.txt`;
    await writeFile(path.join(scratchDir, file), wrapText(item.slide.title, Math.floor((W * 0.9) / (titleSize * 0.6))), 'utf8');
    filters.push(draw(file, titleSize, `${Math.round(H * 0.08)}`));
  }
  if (item.slide.content) {
    const file = `slide-${plan.index}-content.txt`;
    await writeFile(path.join(scratchDir, file), wrapText(item.slide.content, Math.floor((W * 0.85) / (bodySize * 0.58))), 'utf8');
    filters.push(draw(file, bodySize, `${Math.round(H * 0.3)}`));
  }
  if (item.slide.transition === 'fade') {
    const d = Math.min(0.5, plan.seconds / 4);
    filters.push(`fade=t=in:st=0:d=${d}`, `fade=t=out:st=${(plan.seconds - d).toFixed(4)}:d=${d}`);
  }
  // trim ends the looping input inside the graph; -frames:v alone leaves FFmpeg pulling forever.
  filters.push(`trim=end_frame=${plan.frames}`, 'format=yuv420p');
  const audioFilter = `aformat=sample_rates=${AUDIO_RATE}:channel_layouts=stereo,apad=whole_dur=${plan.seconds},atrim=end=${plan.seconds}`;
  const { preset, crf } = QUALITY_PRESETS[cfg.quality];
  const videoInput = item.assets.imagePath
    ? mediaInputArgs(path.basename(item.assets.imagePath), item.assets.imageDemuxer, ['-loop', '1', '-framerate', String(fps)])
    : mediaInputArgs(`color=c=${BACKGROUND}:s=${W}x${H}:r=${fps}`, 'lavfi');
  const audioInput = item.assets.audioPath
    ? mediaInputArgs(path.basename(item.assets.audioPath), item.assets.audioDemuxer, ['-vn'])
    : mediaInputArgs(`anullsrc=r=${AUDIO_RATE}:cl=stereo`, 'lavfi');
  return [
    '-hide_banner',
    '-nostdin',
    '-y',
    '-nostats',
    '-progress',
    'pipe:1',
    ...videoInput,
    ...audioInput,
    '-filter_complex',
    `[0:v]${filters.join(',')}[v];[1:a]${audioFilter}[a]`,
    '-map',
    '[v]',
    '-frames:v',
    String(plan.frames),
    '-r',
    String(fps),
    '-c:v',
    'libx264',
    '-preset',
    preset,
    '-crf',
    String(crf),
    '-pix_fmt',
    'yuv420p',
    '-an',
    plan.video,
    '-map',
    '[a]',
    '-c:a',
    'pcm_s16le',
    '-ar',
    String(AUDIO_RATE),
    '-ac',
    '2',
    plan.audio,
  ];
}
