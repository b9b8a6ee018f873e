/**
 * What telemetry costs, as same-run ratios of interleaved pairs (the side that goes first
 * alternating), each side a running service:
 * - real renders: short real renders (POST to `completed`, timed from the job record's own
 *   `createdAt` and `finishedAt`), SDK on with OTLP export vs OTEL_SDK_DISABLED=true, the two
 *   renders of a pair running at the same time;
 * - the CLI mix: API requests/s at saturation (autocannon, 16 connections), every connection looping
 *   over 1 `POST /api/jobs` and 20 `GET /api/jobs/:id`, default settings vs OTEL_SDK_DISABLED=true,
 *   plus references without a target: full tracing (OTEL_TRACES_SAMPLER=always_on) and the stock
 *   http instrumentation (also always_on).
 * The ratio of a pair is on/off in throughput terms; the result is the median of the pairs.
 * Throughput is measured as work per CPU-second of the service process (its children, FFmpeg, included:
 * the kernel adds waited-for children to it), read from /proc: on a machine shared with other load,
 * requests/s and wall times move with everything else that runs, while the CPU a request or a render
 * costs moves with what the service itself does. Requests/s and wall times are kept as raw numbers.
 */
import autocannon from 'autocannon';
import { getJob, submitJob, tinyDeck } from '../test/support/jobs';
import { startService, type RunningService } from '../test/support/service';
import { processCpuSeconds } from './proc-cpu';
import { median } from './stats';

/** A short real render: 3 slides of 1.5 s at 640x360, 30 fps, fades, medium. */
export const SHORT_DECK = {
  title: 'bench short render',
  slides: ['One', 'Two', 'Three'].map((t) => ({
    title: `Slide ${t}`,
    content: 'A short slide rendered for real, to weigh telemetry against actual work.',
    duration: 1.5,
    transition: 'fade',
  })),
  config: { width: 640, height: 360, fps: 30, quality: 'medium' },
};

/** Seconds of CLI mix every process runs, all at once, before the measured rounds. */
export const WARM_UP_SECONDS = 8;

/** Status polls per submit: `cli submit --follow` polls every 500 ms, so 20 polls follow a 10 s render. */
export const POLLS_PER_SUBMIT = 20;

/** Raw numbers of one paired comparison: CPU-seconds per unit of work on each side, and the wall figures. */
export interface Paired {
  on: number[];
  off: number[];
  /** Wall seconds (renders) or requests/s (CLI mix) on each side, for the record. */
  onWall?: number[];
  offWall?: number[];
  /** Per-pair on/off ratios in throughput terms. */
  ratios: number[];
  ratio: number;
}

/** Environment every bench service gets: OTLP export to the bench's sink; jobs not limited by the submission caps. */
export function benchEnv(otlpUrl: string): Record<string, string> {
  return { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, LOG_LEVEL: 'warn' };
}

/** Seconds a job took from submission to completion by its own record. */
async function renderSeconds(service: RunningService, body: unknown): Promise<number> {
  const job = await submitJob(service.url, body);
  for (;;) {
    const now = await getJob(service.url, job.id);
    if (now.status === 'completed') return (Date.parse(String(now.finishedAt)) - Date.parse(String(now.createdAt))) / 1000;
    if (['failed', 'cancelled'].includes(now.status)) throw new Error(`bench render ${job.id} ${now.status}: ${JSON.stringify(now.error)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Real renders, SDK on (`on`) vs off (`off`): `pairs` pairs, each one render on both services started
 * at the same moment, after one warm-up render each. Each side's CPU is its own process's and its
 * FFmpeg children's, so running the two together does not mix them up, and both renders of a pair
 * see the same machine. Measured on this 2-core VM, 32 pairs each way in one run: the ratio of a
 * pair had a standard deviation of 0.069 when the two renders ran one after the other (background
 * load changes between them) and 0.047 when they ran together; each FFmpeg run's own CPU varies by
 * ±20% (0.12–0.17 s for the same 1.5 s segment), so many short pairs beat a few long ones.
 */
export async function realRenders(on: RunningService, off: RunningService, pairs: number): Promise<Paired> {
  const side = async (svc: RunningService) => {
    const cpu0 = processCpuSeconds(svc.child.pid!);
    const wall = await renderSeconds(svc, SHORT_DECK);
    return { wall, cpu: processCpuSeconds(svc.child.pid!) - cpu0 };
  };
  await Promise.all([side(on), side(off)]);
  const result: Paired = { on: [], off: [], onWall: [], offWall: [], ratios: [], ratio: 0 };
  for (let i = 0; i < pairs; i++) {
    // The first submitted alternates, in case being first in the same moment matters.
    const [offS, onS] = i % 2 === 0 ? await Promise.all([side(off), side(on)]) : (await Promise.all([side(on), side(off)])).reverse();
    result.on.push(onS.cpu);
    result.off.push(offS.cpu);
    result.onWall?.push(onS.wall);
    result.offWall?.push(offS.wall);
    result.ratios.push(offS.cpu / onS.cpu);
  }
  result.ratio = median(result.ratios);
  return result;
}

/** One CLI-mix load run. */
export interface LoadRun {
  rps: number;
  /** Service CPU µs per request. */
  cpuUs: number;
}

/** The CLI mix for `seconds` on `service`, with `jobId` as the job polled. */
async function cliMixRun(service: RunningService, jobId: string, seconds: number): Promise<LoadRun> {
  const post = {
    method: 'POST' as const,
    path: '/api/jobs',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(tinyDeck('bench')),
  };
  const requests = [post, ...Array.from({ length: POLLS_PER_SUBMIT }, () => ({ path: `/api/jobs/${jobId}` }))];
  const cpu0 = processCpuSeconds(service.child.pid!);
  const r = await autocannon({ url: service.url, connections: 16, duration: seconds, requests });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`CLI mix requests failed: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r.requests.average, cpuUs: ((processCpuSeconds(service.child.pid!) - cpu0) * 1e6) / r.requests.total };
}

/** Starts an API-only service (no worker: submitted jobs wait in the queue) with telemetry on or off and `env`. */
export function startApi(telemetry: boolean, otlpUrl: string, env: Record<string, string> = {}): Promise<RunningService> {
  return startService({
    entry: 'services/api/main.ts',
    telemetry,
    env: { ...benchEnv(otlpUrl), ...env },
    readyTimeoutMs: 60_000,
    cpus: process.env.BENCH_SERVICE_CPUS,
  });
}

/** The processes of a CLI-mix comparison: as many `off` as `on`, and references measured alongside without a pairing. */
export interface CliMixSides {
  off: RunningService[];
  on: RunningService[];
  refs?: Record<string, RunningService>;
}

/** Every round of a CLI-mix comparison: `off[i]` and `on[i]` are a pair (same cycle, same process index). */
export interface CliMixRuns {
  off: LoadRun[];
  on: LoadRun[];
  refs: Record<string, LoadRun[]>;
}

/**
 * The CLI mix on every process of `sides`, `cycles` cycles of one `seconds` round per process. Within a
 * cycle the sides alternate in ABBA order (off#0, on#0, on#1, off#1, …; the next cycle the other way
 * round), so each pair's two rounds run next to each other and a load that drifts during the cycle
 * weighs on both sides alike. Several processes per side because one process can run a few percent
 * faster or slower than another of the same build for its whole life (four identical disabled APIs,
 * same run: medians 118.8–131.8 µs per request; per process, route matching took either ≈ 1.5 or ≈ 6 µs
 * per request, with or without telemetry), and with one process per side that made the ratio swing
 * between runs (0.83 and 0.91 back to back).
 */
export async function cliMix(sides: CliMixSides, cycles: number, seconds: number): Promise<CliMixRuns> {
  if (sides.off.length !== sides.on.length) throw new Error('cliMix: as many off as on processes');
  const refs = Object.entries(sides.refs ?? {});
  const all = [...sides.off, ...sides.on, ...refs.map(([, s]) => s)];
  const jobs = new Map<RunningService, string>();
  for (const s of all) jobs.set(s, (await submitJob(s.url, tinyDeck('bench'))).id);
  // Warm-up: JIT and connection pools, long enough to cover the first span exports (every 2 s) on the
  // traced side. With 1 s, the first measured round of the traced side was always its slowest
  // (297–319 µs against 201–239 in the next rounds): one-time compilation counted as per-request cost.
  // All processes warm up at once: nothing is measured yet, and it keeps the quick run under its 120 s.
  // Eight processes sharing 2 cores get little each, hence 8 s. The traced side's first measured cycle
  // is still often its slowest (pairs 0.84–0.86 against 0.87–0.95 later in five quick runs; neither
  // 4 s more nor an extra unmeasured round per process changed that): it is measured, not dropped.
  await Promise.all(all.map((s) => cliMixRun(s, jobs.get(s)!, WARM_UP_SECONDS)));
  const run = (s: RunningService) => cliMixRun(s, jobs.get(s)!, seconds);
  const out: CliMixRuns = { off: [], on: [], refs: Object.fromEntries(refs.map(([n]) => [n, []])) };
  for (let c = 0; c < cycles; c++) {
    const cycle: { off: LoadRun[]; on: LoadRun[] } = { off: [], on: [] };
    for (let k = 0; k < sides.off.length; k++) {
      // off first for even k in even cycles: off#0 on#0 on#1 off#1 …, and the mirror image in odd cycles.
      const offFirst = (k + c) % 2 === 0;
      if (offFirst) cycle.off[k] = await run(sides.off[k]);
      cycle.on[k] = await run(sides.on[k]);
      if (!offFirst) cycle.off[k] = await run(sides.off[k]);
    }
    out.off.push(...cycle.off);
    out.on.push(...cycle.on);
    // References once per cycle, at the end, rotated so none is always last.
    for (let r = 0; r < refs.length; r++) {
      const [name, s] = refs[(r + c) % refs.length];
      out.refs[name].push(await run(s));
    }
  }
  return out;
}

/** The mean of each cycle's rounds, for pairing a reference measured once per cycle with the off side of that cycle. */
export function cycleMeans(runs: LoadRun[], perCycle: number): LoadRun[] {
  const out: LoadRun[] = [];
  for (let i = 0; i + perCycle <= runs.length; i += perCycle) {
    const cycle = runs.slice(i, i + perCycle);
    out.push({ rps: cycle.reduce((n, r) => n + r.rps, 0) / perCycle, cpuUs: cycle.reduce((n, r) => n + r.cpuUs, 0) / perCycle });
  }
  return out;
}

/** Pairs `on` with `off` round by round: requests per CPU-second, on/off. */
export function paired(on: LoadRun[], off: LoadRun[]): Paired {
  const ratios = on.map((v, i) => off[i].cpuUs / v.cpuUs);
  return {
    on: on.map((r) => r.cpuUs),
    off: off.map((r) => r.cpuUs),
    onWall: on.map((r) => r.rps),
    offWall: off.map((r) => r.rps),
    ratios,
    ratio: median(ratios),
  };
}
