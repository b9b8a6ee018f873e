/**
 * The fetch stage: downloads each slide's image and audio into the scratch dir. Redirects are
 * followed by hand so each hop is checked (scheme, count), bodies are streamed so the size cap
 * holds without buffering, and every failure is classified by status, error type or system code.
 */
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AssetAuthError } from '../../shared/errors/asset-auth-error';
import { AssetFetchError } from '../../shared/errors/asset-fetch-error';
import { AssetRejectedError } from '../../shared/errors/asset-rejected-error';
import { ResourceExhaustedError } from '../../shared/errors/resource-exhausted-error';
import { classifyError } from '../../shared/errors/classify';
import { ATTR } from '../../telemetry/attributes';
import { safeUrl, withSpan } from '../../telemetry/tracing';
import { throwIfAborted, withStageTimeout, type SlideWork, type StageContext } from './context';

/** Which slide field an asset came from. */
export type AssetKind = 'image' | 'audio';

const ACCEPTED: Record<AssetKind, (type: string) => boolean> = {
  image: (t) => t.startsWith('image/'),
  audio: (t) => t.startsWith('audio/') || t.startsWith('video/'),
};
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Downloads every slide's assets; returns the slides with local paths filled in. */
export async function fetchStage(ctx: StageContext): Promise<SlideWork[]> {
  const work: SlideWork[] = ctx.request.slides.map((slide, index) => ({ slide, index, assets: { imagePath: null, audioPath: null } }));
  for (const item of work) {
    if (item.slide.imageUrl) item.assets.imagePath = await fetchAsset(ctx, item.slide.imageUrl, 'image', item.index);
    if (item.slide.audioUrl) item.assets.audioPath = await fetchAsset(ctx, item.slide.audioUrl, 'audio', item.index);
  }
  return work;
}

/** Downloads one asset into the scratch dir inside its own span and time limit; returns the file path. */
export async function fetchAsset(ctx: StageContext, url: string, kind: AssetKind, index: number): Promise<string> {
  const attributes = { [ATTR.RENDER_ASSET_KIND]: kind, [ATTR.RENDER_SLIDE_INDEX]: index, 'url.full': safeUrl(url) };
  return withSpan(`fetch ${kind}`, attributes, (span) =>
    withStageTimeout('fetch', ctx.config.fetch.timeoutMs, ctx.signal, async (signal) => {
      const file = path.join(ctx.scratchDir, `slide-${index}-${kind}`);
      try {
        const bytes = await download(url, kind, file, ctx.config.fetch, signal);
        span.setAttribute(ATTR.RENDER_ASSET_BYTES, bytes);
        return file;
      } catch (err) {
        await unlink(file).catch(() => undefined);
        throwIfAborted(signal);
        throw classifyError(err, { stage: 'fetch', timeoutMs: ctx.config.fetch.timeoutMs });
      }
    }),
  );
}

async function download(
  url: string,
  kind: AssetKind,
  file: string,
  limits: { maxBytes: number; maxRedirects: number },
  signal: AbortSignal,
): Promise<number> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const res = await fetch(current, { redirect: 'manual', signal });
    if (REDIRECTS.has(res.status)) {
      await res.body?.cancel().catch(() => undefined);
      const location = res.headers.get('location');
      if (!location) throw new AssetRejectedError('ASSET_INVALID', `${kind} redirect without a location (${safeUrl(current)})`);
      if (hop >= limits.maxRedirects) {
        throw new AssetRejectedError(
          'ASSET_REDIRECT_LIMIT',
          `${kind} at ${safeUrl(url)} redirected more than ${limits.maxRedirects} times`,
        );
      }
      const next = new URL(location, current);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new AssetRejectedError('ASSET_INVALID', `${kind} redirected to a non-http URL`);
      }
      current = next.href;
      continue;
    }
    checkStatus(res, kind, current);
    const type = (res.headers.get('content-type') ?? '').toLowerCase();
    if (!ACCEPTED[kind](type)) {
      await res.body?.cancel().catch(() => undefined);
      throw new AssetRejectedError('ASSET_INVALID', `${kind} at ${safeUrl(current)} has content type ${JSON.stringify(type || 'none')}`);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw tooLarge(kind, current, limits.maxBytes);
    }
    if (!res.body) return writeEmpty(file);
    return streamCapped(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      file,
      kind,
      current,
      limits.maxBytes,
      signal,
    );
  }
}

function checkStatus(res: Response, kind: AssetKind, url: string): void {
  if (res.ok) return;
  void res.body?.cancel().catch(() => undefined);
  const where = `${kind} at ${safeUrl(url)}`;
  if (res.status === 404 || res.status === 410)
    throw new AssetRejectedError('ASSET_NOT_FOUND', `${where} was not found (HTTP ${res.status})`);
  if (res.status === 401 || res.status === 403) throw new AssetAuthError(`${where} refused access (HTTP ${res.status})`);
  if (res.status >= 500 || res.status === 429 || res.status === 408) throw new AssetFetchError(`${where} failed with HTTP ${res.status}`);
  throw new AssetRejectedError('ASSET_INVALID', `${where} answered HTTP ${res.status}`);
}

function tooLarge(kind: AssetKind, url: string, maxBytes: number): ResourceExhaustedError {
  return new ResourceExhaustedError('ASSET_TOO_LARGE', `${kind} at ${safeUrl(url)} is larger than ${maxBytes} bytes`, false);
}

async function writeEmpty(file: string): Promise<number> {
  await pipeline(Readable.from([]), createWriteStream(file));
  return 0;
}

async function streamCapped(
  body: Readable,
  file: string,
  kind: AssetKind,
  url: string,
  maxBytes: number,
  signal: AbortSignal,
): Promise<number> {
  let bytes = 0;
  // Counting as bytes arrive (not trusting Content-Length) stops a lying or chunked server at the cap.
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(bytes > maxBytes ? tooLarge(kind, url, maxBytes) : null, chunk);
    },
  });
  await pipeline(body, counter, createWriteStream(file), { signal });
  return bytes;
}
