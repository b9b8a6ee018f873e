/**
 * Render speed: the service's wall time for a deck (what a client sees: `POST /api/jobs` to seeing
 * `completed`, polling every 50 ms) vs one naive FFmpeg command that draws the same slides with
 * the same drawtext filters on every frame and encodes them in one pass at the same preset and CRF
 * (lavfi `color` per slide, 0.5 s fades, `concat` filter, silent AAC, +faststart, default threads).
 * Rounds are interleaved, the side that goes first alternating. The service runs with the piece
 * cache off (RENDER_PIECE_CACHE_BYTES=0): every render is a cold one (bench/piece-cache.ts measures reuse). The naive output is also the
 * quality reference: SSIM of the service's video against it, and the size ratio.
 * Run: `node --import tsx bench/pipeline.ts [pairs] [1080p|720p|narrated]`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { renderRequestSchema, QUALITY_PRESETS, type RenderRequest } from '../services/shared/request';
import { drawFilters } from '../services/worker/stages/slide-segment';
import { getJob, submitJob } from '../test/support/jobs';
import { startService, type RunningService } from '../test/support/service';
import { median } from './stats';

const run = promisify(execFile);

/** The decks the bench renders. */
export const DECKS = {
  /** The deck: 6 text-only slides of 10 s, title and a two-sentence body, fade, 1080p30, medium. */
  '1080p': deck(1920, 1080, false),
  '720p': deck(1280, 720, false),
  /** The same deck at 1080p with each slide narrated by espeak-ng (narration shorter than the slide). */
  narrated: deck(1920, 1080, true),
} as const;
export type DeckName = keyof typeof DECKS;

function deck(width: number, height: number, narrated: boolean) {
  const topics = ['Pods', 'Services', 'Deployments', 'ConfigMaps', 'Volumes', 'Ingress'];
  return {
    title: `bench ${width}x${height}${narrated ? ' narrated' : ''}`,
    slides: topics.map((t) => ({
      title: `${t} in Kubernetes`,
      content: `${t} are one of the building blocks every cluster runs on. This slide explains what they do and when to use them.`,
      duration: 10,
      transition: 'fade',
      ...(narrated ? { narration: `${t} are one of the building blocks of a cluster.` } : {}),
    })),
    config: { width, height, fps: 30, quality: 'medium', voice: 'en-us' },
  };
}

/** Seconds the naive one-pass command takes for `request`, writing `out`. */
export async function naiveOnePass(request: RenderRequest, dir: string, out: string): Promise<number> {
  const cfg = request.config;
  const { preset, crf } = QUALITY_PRESETS[cfg.quality];
  const inputs: string[] = [];
  const chains: string[] = [];
  let total = 0;
  for (const [i, slide] of request.slides.entries()) {
    const d = slide.duration;
    total += d;
    inputs.push('-f', 'lavfi', '-i', `color=c=0x1e293b:s=${cfg.width}x${cfg.height}:r=${cfg.fps}:d=${d}`);
    const draw = await drawFilters(dir, { slide, index: i, assets: { imagePath: null, audioPath: null } }, i, cfg);
    chains.push(`[${i}:v]${draw.join(',')},fade=t=in:st=0:d=0.5,fade=t=out:st=${d - 0.5}:d=0.5[v${i}]`);
  }
  const n = request.slides.length;
  const graph = `${chains.join(';')};${Array.from({ length: n }, (_, i) => `[v${i}]`).join('')}concat=n=${n}:v=1:a=0,format=yuv420p[v]`;
  const args = [
    ...['-hide_banner', '-nostdin', '-y', '-v', 'error'],
    ...inputs,
    ...['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo'],
    ...['-filter_complex', graph, '-map', '[v]', '-map', `${n}:a`],
    ...['-c:v', 'libx264', '-preset', preset, '-crf', String(crf), '-pix_fmt', 'yuv420p'],
    ...['-c:a', 'aac', '-t', String(total), '-movflags', '+faststart', out],
  ];
  const started = performance.now();
  await run('ffmpeg', args, { cwd: dir });
  return (performance.now() - started) / 1000;
}

/** Seconds from POST to seeing `completed` (polling every 50 ms); returns the job too. */
export async function serviceRender(service: RunningService, body: unknown): Promise<{ seconds: number; id: string }> {
  const started = performance.now();
  const job = await submitJob(service.url, body);
  for (;;) {
    const now = await getJob(service.url, job.id);
    if (now.status === 'completed') return { seconds: (performance.now() - started) / 1000, id: job.id };
    if (['failed', 'cancelled'].includes(now.status)) throw new Error(`bench render ${job.id} ${now.status}: ${JSON.stringify(now.error)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SSIM (All) of `a` against the reference `b`. */
export async function ssim(a: string, b: string): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', a, '-i', b, '-lavfi', '[0:v][1:v]ssim', '-f', 'null', '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const m = / All:([\d.]+)/.exec(stderr);
  if (!m) throw new Error(`no SSIM in ffmpeg output: ${stderr.slice(-500)}`);
  return Number(m[1]);
}

/** One pipeline measurement. */
export interface PipelineResult {
  deck: DeckName;
  service: number[];
  naive: number[];
  /** Per-pair service / naive. */
  ratios: number[];
  /** Median of the pairs' ratios. */
  ratio: number;
  ssim: number | null;
  sizeRatio: number | null;
}

/** Runs `pairs` interleaved pairs for `name` on `service`; `quality` also computes SSIM and size from the last pair. */
export async function measurePipeline(
  service: RunningService,
  name: DeckName,
  pairs: number,
  quality: boolean,
  warmUp = true,
): Promise<PipelineResult> {
  const body = DECKS[name];
  const request = renderRequestSchema.parse(body);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-bench-pipeline-'));
  try {
    const reference = path.join(dir, 'reference.mp4');
    const serviceTimes: number[] = [];
    const naiveTimes: number[] = [];
    let lastId = '';
    // Warm-up: the service's first job pays for loading code paths, FFmpeg's first run for the page cache.
    if (warmUp) await serviceRender(service, body);
    for (let i = 0; i < pairs; i++) {
      const order = i % 2 === 0 ? ['naive', 'service'] : ['service', 'naive'];
      for (const side of order) {
        if (side === 'naive') naiveTimes.push(await naiveOnePass(request, dir, reference));
        else {
          const r = await serviceRender(service, body);
          serviceTimes.push(r.seconds);
          lastId = r.id;
        }
      }
    }
    let quality_: { ssim: number; size: number } | null = null;
    if (quality) {
      const ours = path.join(dir, 'service.mp4');
      const res = await fetch(`${service.url}/api/jobs/${lastId}/output`);
      writeFileSync(ours, Buffer.from(await res.arrayBuffer()));
      quality_ = { ssim: await ssim(ours, reference), size: statSync(ours).size / statSync(reference).size };
    }
    return {
      deck: name,
      service: serviceTimes,
      naive: naiveTimes,
      ratios: serviceTimes.map((t, i) => t / naiveTimes[i]),
      ratio: median(serviceTimes.map((t, i) => t / naiveTimes[i])),
      ssim: quality_?.ssim ?? null,
      sizeRatio: quality_?.size ?? null,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts the service the way `make start` runs it (embedded, telemetry on), exporting to `otlpUrl` when given. */
export function startRenderService(otlpUrl?: string): Promise<RunningService> {
  return startService({
    entry: 'services/main.ts',
    telemetry: true,
    // Every render here is a cold one: the piece cache would turn the same deck's second render into a join.
    env: { RENDER_PIECE_CACHE_BYTES: '0', ...(otlpUrl ? { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl } : {}) },
    readyTimeoutMs: 60_000,
  });
}

async function main(): Promise<void> {
  const pairs = Number(process.argv[2] ?? 3);
  const name = (process.argv[3] ?? '1080p') as DeckName;
  const service = await startRenderService();
  try {
    const r = await measurePipeline(service, name, pairs, true);
    const f = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
    console.log(`pipeline ${name}: service [${f(r.service)}] s, naive one-pass [${f(r.naive)}] s`);
    console.log(
      `pipeline, service vs one-pass FFmpeg: ${r.ratio.toFixed(3)} (target ≤ 0.4)  SSIM ${r.ssim?.toFixed(4)}  size ×${r.sizeRatio?.toFixed(2)}`,
    );
  } finally {
    await service.stop();
    service.cleanup();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(__filename)) void main();
