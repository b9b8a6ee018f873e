/**
 * Inspects a downloaded asset before anything decodes it. Images: the format and size are read from
 * the file's header (image-size), so only PNG, JPEG and WebP within the pixel caps go further (a
 * 100 KB PNG declaring 30000×30000 is refused here, not after FFmpeg tried to allocate it); then
 * ffprobe confirms the file with that demuxer forced and a decoder pixel cap. Audio: ffprobe may only
 * choose among the allowed audio demuxers. Either way the chosen demuxer is what FFmpeg is forced to.
 */
import { open } from 'node:fs/promises';
import { imageSize } from 'image-size';
import { AssetRejectedError, FfmpegError } from '../shared/errors';
import { AUDIO_DEMUXERS, IMAGE_DEMUXERS } from './media-input';
import { probeMedia, type ProbeResult } from './probe';
import type { StageContext } from './stages/context';

/** What an accepted asset is. */
export interface InspectedAsset {
  demuxer: string;
  width?: number;
  height?: number;
  durationSeconds?: number;
}

/** Enough of a file to find the size of any allowed image (JPEG puts EXIF before its frame header). */
const HEADER_BYTES = 1024 * 1024;

/** Accepts or refuses one downloaded asset; refusals are AssetRejectedError (validation, not retried). */
export async function inspectAsset(ctx: StageContext, file: string, kind: 'image' | 'audio', index: number): Promise<InspectedAsset> {
  const where = `${kind} of slide ${index}`;
  return kind === 'image' ? inspectImage(ctx, file, where) : inspectAudio(ctx, file, where);
}

async function inspectImage(ctx: StageContext, file: string, where: string): Promise<InspectedAsset> {
  const { maxImagePixels, maxImageSide } = ctx.config.media;
  let size: { width?: number; height?: number; type?: string };
  try {
    size = imageSize(await readHead(file));
  } catch {
    size = {};
  }
  const demuxer = size.type ? IMAGE_DEMUXERS[size.type] : undefined;
  if (!demuxer) throw new AssetRejectedError('ASSET_INVALID', `${where} is not a PNG, JPEG or WebP image`);
  const { width = 0, height = 0 } = size;
  if (width > maxImageSide || height > maxImageSide || width * height > maxImagePixels) {
    throw new AssetRejectedError(
      'IMAGE_TOO_LARGE',
      `${where} is ${width}×${height}; images may have at most ${maxImageSide} px per side and ${maxImagePixels} pixels`,
    );
  }
  const probe = await probeOrReject(where, () => probeMedia(file, ctx.signal, { demuxer, maxPixels: maxImagePixels }));
  if (!probe.videoCodec || !probe.width || !probe.height) throw new AssetRejectedError('ASSET_INVALID', `${where} is not a readable image`);
  return { demuxer, width: probe.width, height: probe.height };
}

async function inspectAudio(ctx: StageContext, file: string, where: string): Promise<InspectedAsset> {
  const probe = await probeOrReject(where, () => probeMedia(file, ctx.signal, { formatWhitelist: AUDIO_DEMUXERS }));
  const demuxer = probe.formatName.split(',')[0];
  if (!AUDIO_DEMUXERS.includes(demuxer) || !probe.audioCodec) {
    throw new AssetRejectedError('ASSET_INVALID', `${where} is not audio in an accepted format (mp3, wav, ogg, flac, aac, m4a, webm)`);
  }
  return { demuxer, durationSeconds: probe.durationSeconds };
}

/** ffprobe refusing the file is the file's fault (validation), not an FFmpeg failure worth retrying. */
async function probeOrReject(where: string, probe: () => Promise<ProbeResult>): Promise<ProbeResult> {
  try {
    return await probe();
  } catch (err) {
    if (err instanceof FfmpegError && err.signal === null)
      throw new AssetRejectedError('ASSET_INVALID', `${where} could not be read as media`);
    throw err;
  }
}

async function readHead(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
