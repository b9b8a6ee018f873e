/**
 * One job across two workers (Redis layout): a 40-slide 1080p deck (5 s text slides with fades,
 * 30 fps, `medium`) rendered by one worker pinned to one core (split off), then a deck of the same
 * size by two workers each pinned to its own core, split at the defaults (40 slides, chunks of 10).
 * Each render uses a deck of its own (the slides' text carries the round), so no piece is reused;
 * wall time as a client sees it; the ratio is two workers / one, median of the rounds.
 * `BENCH_SPLIT_CHUNK_SLIDES` overrides the chunk size (default 10, the service's default).
 * Target: ≤ 0.6. Needs Redis: `REDIS_URL=redis://127.0.0.1:6379 node --import tsx bench/split-render.ts [rounds]`
 * (or run it through scripts/with-redis.sh, which sets REDIS_TEST_URL).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService, type RunningService } from '../test/support/service';
import { serviceRender } from './pipeline';
import { median } from './stats';

/** The bench's deck for `round` (its own text, so its pieces are new). */
export function splitDeck(round: string, slides = 40) {
  return {
    title: `split bench ${round}`,
    slides: Array.from({ length: slides }, (_, i) => ({
      title: `Topic ${i + 1}`,
      content: `Round ${round}: slide ${i + 1} explains one building block of the course, what it does and when to use it.`,
      duration: 5,
      transition: 'fade',
    })),
    config: { width: 1920, height: 1080, fps: 30, quality: 'medium' },
  };
}

/** An API and `cores.length` workers, worker i pinned to core `cores[i]`, on a queue and data dir of their own. */
async function fleet(redisUrl: string, cores: string[], split: boolean): Promise<{ api: RunningService; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-split-bench-'));
  const env = {
    REDIS_URL: redisUrl,
    RENDER_QUEUE_NAME: `split-bench-${randomUUID().slice(0, 8)}`,
    RENDER_CONCURRENCY: '1',
    RENDER_ENCODE_PARALLELISM: '1',
    RENDER_SPLIT_MIN_SLIDES: split ? '40' : '100000',
    RENDER_SPLIT_CHUNK_SLIDES: process.env.BENCH_SPLIT_CHUNK_SLIDES ?? '10',
    OTEL_TRACES_EXPORTER: 'none',
  };
  const api = await startService({ entry: 'services/api/main.ts', dataDir, env, telemetry: false });
  const workers: RunningService[] = [];
  for (const cpus of cores) workers.push(await startService({ entry: 'services/worker/main.ts', dataDir, env, telemetry: false, cpus }));
  return {
    api,
    stop: async () => {
      await Promise.all([...workers.map((w) => w.stop()), api.stop()]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? process.env.REDIS_TEST_URL;
  if (!redisUrl) throw new Error('set REDIS_URL (or run through scripts/with-redis.sh)');
  if (os.availableParallelism() < 2) throw new Error('needs two cores');
  const rounds = Number(process.argv[2] ?? 1);
  const one = await fleet(redisUrl, ['0'], false);
  const two = await fleet(redisUrl, ['0', '1'], true);
  const ratios: number[] = [];
  try {
    // Warm-up: code paths and the tools' fingerprints, on decks of their own (too short to split).
    await serviceRender(one.api, splitDeck('warm-one', 2));
    await serviceRender(two.api, splitDeck('warm-two', 2));
    const salt = Date.now();
    for (let r = 0; r < rounds; r++) {
      const single = (await serviceRender(one.api, splitDeck(`${salt}-${r}-one`))).seconds;
      const split = (await serviceRender(two.api, splitDeck(`${salt}-${r}-two`))).seconds;
      ratios.push(split / single);
      console.error(`  round ${r + 1}: one worker ${single.toFixed(2)} s, two workers (split) ${split.toFixed(2)} s`);
    }
  } finally {
    await Promise.all([one.stop(), two.stop()]);
  }
  const ratio = median(ratios);
  console.log(
    `split render, two workers vs one (one core each): ${ratio.toFixed(3)} (target ≤ 0.6) [${ratios.map((x) => x.toFixed(3)).join(', ')}]`,
  );
  process.exitCode = ratio <= 0.6 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(__filename)) void main();
