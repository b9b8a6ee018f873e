/**
 * Piece cache: a 20-slide 1080p deck (10 s text slides with fades, 30 fps, `medium`) rendered cold
 * (empty cache for that deck), then again unchanged, then with one slide's text changed, on the
 * service as `make start` runs it (cache on, local storage). Each round uses a deck of its own
 * (every slide's text carries the round number), so its first render finds nothing to reuse; the
 * ratios are per round, against that round's cold render, and the median is reported.
 * Targets: unchanged ≤ 0.15× cold, one slide changed ≤ 0.25× cold.
 * Run: `node --import tsx bench/piece-cache.ts [rounds]`.
 */
import path from 'node:path';
import { startService, type RunningService } from '../test/support/service';
import { serviceRender } from './pipeline';
import { median } from './stats';

/** The bench's deck for round `round`; `edited` changes slide 8's title. */
export function pieceDeck(round: number, edited = false) {
  const slides = Array.from({ length: 20 }, (_, i) => ({
    title: edited && i === 7 ? `Topic ${i + 1}, with its typo fixed` : `Topic ${i + 1}`,
    content: `Round ${round}: slide ${i + 1} explains one building block of the course, what it does and when to use it.`,
    duration: 10,
    transition: 'fade',
  }));
  return { title: `piece cache bench ${round}`, slides, config: { width: 1920, height: 1080, fps: 30, quality: 'medium', voice: 'en-us' } };
}

/** One round's three wall times, seconds. */
export interface PieceRound {
  cold: number;
  unchanged: number;
  edited: number;
}

export interface PieceCacheResult {
  rounds: PieceRound[];
  unchangedRatio: number;
  editedRatio: number;
}

/** Runs `rounds` rounds on `service` (which must have the piece cache on). */
export async function measurePieceCache(service: RunningService, rounds: number, salt = Date.now()): Promise<PieceCacheResult> {
  const out: PieceRound[] = [];
  for (let r = 0; r < rounds; r++) {
    const round = salt + r;
    const cold = (await serviceRender(service, pieceDeck(round))).seconds;
    const unchanged = (await serviceRender(service, pieceDeck(round))).seconds;
    const edited = (await serviceRender(service, pieceDeck(round, true))).seconds;
    out.push({ cold, unchanged, edited });
    console.error(
      `  round ${r + 1}: cold ${cold.toFixed(2)} s, unchanged ${unchanged.toFixed(2)} s, one slide changed ${edited.toFixed(2)} s`,
    );
  }
  return {
    rounds: out,
    unchangedRatio: median(out.map((x) => x.unchanged / x.cold)),
    editedRatio: median(out.map((x) => x.edited / x.cold)),
  };
}

/** The service with the piece cache on (its default size), as `make start` runs it. */
export function startCachedService(): Promise<RunningService> {
  return startService({ entry: 'services/main.ts', telemetry: true, env: { OTEL_TRACES_EXPORTER: 'none' }, readyTimeoutMs: 60_000 });
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const service = await startCachedService();
  try {
    // Warm-up: code paths and the tools' fingerprints, on a deck of its own.
    await serviceRender(service, { ...pieceDeck(-1), slides: pieceDeck(-1).slides.slice(0, 2) });
    const r = await measurePieceCache(service, rounds);
    const f = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(', ');
    console.log(
      `piece cache, unchanged deck vs cold: ${r.unchangedRatio.toFixed(3)} (target ≤ 0.15) [${f(r.rounds.map((x) => x.unchanged / x.cold))}]`,
    );
    console.log(
      `piece cache, one slide changed vs cold: ${r.editedRatio.toFixed(3)} (target ≤ 0.25) [${f(r.rounds.map((x) => x.edited / x.cold))}]`,
    );
    process.exitCode = r.unchangedRatio <= 0.15 && r.editedRatio <= 0.25 ? 0 : 1;
  } finally {
    await service.stop();
    service.cleanup();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(__filename)) void main();
