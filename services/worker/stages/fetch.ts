/**
 * The fetch stage: downloads each slide's image and audio into the scratch dir through the one
 * outbound client (services/shared/outbound-client.ts: refused addresses, connect timeout,
 * re-checked redirects), a few at a time. Each download has its own time limit and size cap and
 * all of a job's downloads share a budget of bytes and wall time; bodies are streamed so the caps
 * hold without buffering. Every downloaded file is then inspected (asset-check.ts) before use.
 */
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AssetAuthError } from '../../shared/errors/asset-auth-error';
import { AssetFetchError } from '../../shared/errors/asset-fetch-error';
import { AssetRejectedError } from '../../shared/errors/asset-rejected-error';
import { classifyError } from '../../shared/errors/classify';
import { ResourceExhaustedError } from '../../shared/errors/resource-exhausted-error';
import { UrlNotAllowedError } from '../../shared/errors/url-not-allowed-error';
import { redactUrl } from '../../shared/url-policy';
import { ATTR } from '../../telemetry/attributes';
import { serverAttributes, withSpan } from '../../telemetry/tracing';
import { inspectAsset } from '../asset-check';
import { discardBody, type OutboundClient, type OutboundResponse, outboundFor, RedirectError } from '../../shared/outbound-client';
import { throwIfAborted, withStageTimeout, type SlideWork, type StageContext } from './context';

/** Which slide field an asset came from. */
export type AssetKind = 'image' | 'audio';

const ACCEPTED: Record<AssetKind, (type: string) => boolean> = {
  image: (t) => t.startsWith('image/'),
  audio: (t) => t.startsWith('audio/') || t.startsWith('video/'),
};

/** Bytes every download of one job may still take; shared by the job's parallel downloads. */
export class ByteBudget {
  constructor(public remaining: number) {}
}

/** Downloads and inspects every slide's assets, a few at a time; returns the slides with local paths filled in. */
export async function fetchStage(ctx: StageContext): Promise<SlideWork[]> {
  const work: SlideWork[] = ctx.request.slides.map((slide, index) => ({ slide, index, assets: { imagePath: null, audioPath: null } }));
  const wanted: { item: SlideWork; url: string; kind: AssetKind }[] = [];
  for (const item of work) {
    if (item.slide.imageUrl) wanted.push({ item, url: item.slide.imageUrl, kind: 'image' });
    if (item.slide.audioUrl) wanted.push({ item, url: item.slide.audioUrl, kind: 'audio' });
  }
  if (wanted.length === 0) return work;
  const budget = new ByteBudget(ctx.config.fetch.jobMaxBytes);
  // One wall-time budget for all of the job's downloads, on top of each download's own limit.
  await withStageTimeout('fetch', ctx.config.fetch.jobTimeoutMs, ctx.signal, async (signal) => {
    const jobCtx = { ...ctx, signal };
    let next = 0;
    let failure: { err: unknown } | null = null;
    const runner = async () => {
      while (next < wanted.length && !failure) {
        const { item, url, kind } = wanted[next++];
        try {
          const file = await fetchAsset(jobCtx, url, kind, item.index, budget);
          const { demuxer } = await inspectAsset(jobCtx, file, kind, item.index);
          if (kind === 'image') Object.assign(item.assets, { imagePath: file, imageDemuxer: demuxer });
          else Object.assign(item.assets, { audioPath: file, audioDemuxer: demuxer });
        } catch (err) {
          failure ??= { err };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(ctx.config.fetch.concurrency, wanted.length) }, runner));
    if (failure) throw (failure as { err: unknown }).err;
  });
  return work;
}

/** Downloads one asset into the scratch dir inside its own span and time limit; returns the file path. */
export async function fetchAsset(
  ctx: StageContext,
  url: string,
  kind: AssetKind,
  index: number,
  budget = new ByteBudget(ctx.config.fetch.jobMaxBytes),
  client: OutboundClient = ctx.outbound ?? outboundFor(ctx.config),
): Promise<string> {
  const attributes = {
    [ATTR.RENDER_ASSET_KIND]: kind,
    [ATTR.RENDER_SLIDE_INDEX]: index,
    'url.full': redactUrl(url),
    ...serverAttributes(url),
  };
  return withSpan(`fetch ${kind}`, attributes, (span) =>
    withStageTimeout('fetch', ctx.config.fetch.timeoutMs, ctx.signal, async (signal) => {
      const file = path.join(ctx.scratchDir, `slide-${index}-${kind}`);
      try {
        const bytes = await download(client, url, kind, index, file, ctx.config.fetch, budget, signal);
        span.setAttribute(ATTR.RENDER_ASSET_BYTES, bytes);
        return file;
      } catch (err) {
        await unlink(file).catch(() => undefined);
        throwIfAborted(signal);
        throw describe(err, kind, index, url, ctx.config.fetch.timeoutMs);
      }
    }),
  );
}

/** Turns what the client threw into the job's error; a URL in a message is only ever scheme, host and port. */
function describe(err: unknown, kind: AssetKind, index: number, url: string, timeoutMs: number) {
  const where = `${kind} of slide ${index} (${redactUrl(url)})`;
  if (err instanceof UrlNotAllowedError) {
    // Nothing was contacted, so there is nothing to reveal about what might answer there.
    return new UrlNotAllowedError(`${where} points to an address this service does not contact (loopback, private or reserved)`);
  }
  if (err instanceof RedirectError) {
    return err.reason === 'limit'
      ? new AssetRejectedError('ASSET_REDIRECT_LIMIT', `${where} redirected too many times`)
      : new AssetRejectedError('ASSET_INVALID', `${where} redirected to an unusable location`);
  }
  return classifyError(err, { stage: 'fetch', timeoutMs });
}

async function download(
  client: OutboundClient,
  url: string,
  kind: AssetKind,
  index: number,
  file: string,
  limits: { maxBytes: number; maxRedirects: number },
  budget: ByteBudget,
  signal: AbortSignal,
): Promise<number> {
  const res = await client.send(url, { signal, maxRedirects: limits.maxRedirects });
  const where = `${kind} of slide ${index} (${redactUrl(url)})`;
  try {
    checkStatus(res, where);
    const type = String(res.headers['content-type'] ?? '').toLowerCase();
    if (!ACCEPTED[kind](type)) throw new AssetRejectedError('ASSET_INVALID', `${where} has content type ${JSON.stringify(type || 'none')}`);
    const declared = Number(res.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limits.maxBytes) throw tooLarge(where, limits.maxBytes);
    if (Number.isFinite(declared) && declared > budget.remaining) throw overBudget();
  } catch (err) {
    discardBody(res.body);
    throw err;
  }
  let bytes = 0;
  // Counting as bytes arrive (not trusting Content-Length) stops a lying or chunked server at the cap.
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      budget.remaining -= chunk.length;
      if (bytes > limits.maxBytes) return done(tooLarge(where, limits.maxBytes));
      if (budget.remaining < 0) return done(overBudget());
      done(null, chunk);
    },
  });
  await pipeline(res.body, counter, createWriteStream(file), { signal });
  return bytes;
}

function checkStatus(res: OutboundResponse, where: string): void {
  if (res.status >= 200 && res.status < 300) return;
  if (res.status === 404 || res.status === 410)
    throw new AssetRejectedError('ASSET_NOT_FOUND', `${where} was not found (HTTP ${res.status})`);
  if (res.status === 401 || res.status === 403) throw new AssetAuthError(`${where} refused access (HTTP ${res.status})`);
  if (res.status >= 500 || res.status === 429 || res.status === 408) throw new AssetFetchError(`${where} failed with HTTP ${res.status}`);
  if (res.status >= 300 && res.status < 400) throw new AssetRejectedError('ASSET_REDIRECT_LIMIT', `${where} redirected too many times`);
  throw new AssetRejectedError('ASSET_INVALID', `${where} answered HTTP ${res.status}`);
}

function tooLarge(where: string, maxBytes: number): ResourceExhaustedError {
  return new ResourceExhaustedError('ASSET_TOO_LARGE', `${where} is larger than ${maxBytes} bytes`, false);
}

function overBudget(): ResourceExhaustedError {
  return new ResourceExhaustedError('ASSET_TOO_LARGE', "the job's assets together are larger than RENDER_FETCH_JOB_MAX_BYTES", false);
}
