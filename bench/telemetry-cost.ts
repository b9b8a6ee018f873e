/**
 * What telemetry costs, as same-run ratios of interleaved pairs (the side that goes first
 * alternating), each side a running service:
 * - real renders: short real renders (POST to `completed`, timed from the job record's own
 *   `createdAt` and `finishedAt`), SDK on with OTLP export vs OTEL_SDK_DISABLED=true;
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

/** Seconds of CLI mix each side runs before the measured rounds. */
export const WARM_UP_SECONDS = 3;

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

/** Real renders, SDK on (`on`) vs off (`off`): `pairs` interleaved pairs of `perSide` renders each, after one warm-up each. */
export async function realRenders(on: RunningService, off: RunningService, pairs: number, perSide = 2): Promise<Paired> {
  const side = async (svc: RunningService) => {
    const cpu0 = processCpuSeconds(svc.child.pid!);
    let wall = 0;
    for (let i = 0; i < perSide; i++) wall += await renderSeconds(svc, SHORT_DECK);
    return { wall, cpu: processCpuSeconds(svc.child.pid!) - cpu0 };
  };
  await side(on);
  await side(off);
  const result: Paired = { on: [], off: [], onWall: [], offWall: [], ratios: [], ratio: 0 };
  for (let i = 0; i < pairs; i++) {
    const first = i % 2 === 0 ? 'off' : 'on';
    const a = await side(first === 'off' ? off : on);
    const b = await side(first === 'off' ? on : off);
    const [offS, onS] = first === 'off' ? [a, b] : [b, a];
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

/** The CLI mix on each of `services` (the first is the baseline `off`), `pairs` interleaved rounds of `seconds` each. */
export async function cliMix(services: Record<string, RunningService>, pairs: number, seconds: number): Promise<Record<string, LoadRun[]>> {
  const names = Object.keys(services);
  const jobs: Record<string, string> = {};
  for (const n of names) jobs[n] = (await submitJob(services[n].url, tinyDeck('bench'))).id;
  // Warm-up: JIT and connection pools, long enough to cover the first span exports (every 2 s) on the
  // traced side. With 1 s, the first measured round of the traced side was always its slowest
  // (297–319 µs against 201–239 in the next rounds): one-time compilation counted as per-request cost.
  // All sides warm up at once: nothing is measured yet, and it keeps the quick run under its 120 s.
  await Promise.all(names.map((n) => cliMixRun(services[n], jobs[n], WARM_UP_SECONDS)));
  const out: Record<string, LoadRun[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < pairs; i++) {
    // Rotated each round so no side always runs first while background load drifts.
    for (let k = 0; k < names.length; k++) {
      const n = names[(k + i) % names.length];
      out[n].push(await cliMixRun(services[n], jobs[n], seconds));
    }
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
