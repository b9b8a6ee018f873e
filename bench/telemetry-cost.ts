/**
 * What telemetry costs, as same-run ratios of pairs whose two sides run at the same time, each side
 * a running service:
 * - real renders: short real renders (POST to `completed`, timed from the job record's own
 *   `createdAt` and `finishedAt`), SDK on with OTLP export vs OTEL_SDK_DISABLED=true, the two
 *   renders of a pair running at the same time;
 * - the CLI mix: API requests/s at saturation (autocannon, 16 connections), every connection looping
 *   over 1 `POST /api/jobs` and 20 `GET /api/jobs/:id`, default settings vs OTEL_SDK_DISABLED=true,
 *   plus references without a target: full tracing (OTEL_TRACES_SAMPLER=always_on) and the stock
 *   http instrumentation (also always_on), the two processes of a pair loaded at the same time.
 * The ratio of a pair is on/off in throughput terms; the result is the median of the pairs.
 * Throughput is measured as work per CPU-second of the service process (its children, FFmpeg, included:
 * the kernel adds waited-for children to it), read from /proc: on a machine shared with other load,
 * requests/s and wall times move with everything else that runs, while the CPU a request or a render
 * costs moves with what the service itself does. Requests/s and wall times are kept as raw numbers.
 */
import path from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
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

/** Requests of CLI mix every process serves, all at once, before the measured rounds. */
export const WARM_UP_REQUESTS = 8000;

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
  // The piece cache off: these benches render the same deck again and again, and measure renders that encode.
  return { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, LOG_LEVEL: 'warn', RENDER_PIECE_CACHE_BYTES: '0' };
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

/**
 * `amount` requests of the CLI mix on `service`, with `jobId` as the job polled. A round is a number of
 * requests, not of seconds, so both sides of a pair do the same work and submit as many jobs (with
 * rounds of equal seconds, the cheaper side submitted more, and over a full run of 3 s rounds the ratio
 * came out at 1.02 from queue lengths alone; see clearJobs).
 */
async function cliMixRun(service: RunningService, jobId: string, amount: number): Promise<LoadRun> {
  const post = {
    method: 'POST' as const,
    path: '/api/jobs',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(tinyDeck('bench')),
  };
  const requests = [post, ...Array.from({ length: POLLS_PER_SUBMIT }, () => ({ path: `/api/jobs/${jobId}` }))];
  const cpu0 = processCpuSeconds(service.child.pid!);
  const r = await autocannon({ url: service.url, connections: 16, amount, requests });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`CLI mix requests failed: ${r.non2xx} non-2xx, ${r.errors} errors`);
  // autocannon's per-second average means little for a round of about a second: requests over the round's time.
  return { rps: r.requests.total / r.duration, cpuUs: ((processCpuSeconds(service.child.pid!) - cpu0) * 1e6) / r.requests.total };
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

/** The processes of a CLI-mix comparison: as many `off` as `on`, and references each paired with an `off` process. */
export interface CliMixSides {
  off: RunningService[];
  on: RunningService[];
  refs?: Record<string, RunningService>;
}

/** Every round of a CLI-mix comparison: `off[i]` and `on[i]` ran together; so did `refs[name][i]` and `refsOff[name][i]`. */
export interface CliMixRuns {
  off: LoadRun[];
  on: LoadRun[];
  refs: Record<string, LoadRun[]>;
  refsOff: Record<string, LoadRun[]>;
}

/**
 * Takes every job but `keep` (the one its rounds poll) out of a bench API's embedded database, as
 * workers would in a real deployment; no worker runs here, so without this every POST would leave a
 * job queued for good. A submission's admission checks count the queue (`SubmitLimits.checkRoom`), so
 * a request costs more as the queue grows: over a full run that left them queued, the disabled side
 * went from ≈ 125 to ≈ 210 µs per request, the traced side from ≈ 140 to ≈ 210, and the ratio drifted
 * towards 1 (0.959) as counting the queue swamped everything else. Run between rounds, outside what
 * is measured, on both sides alike.
 */
function clearJobs(service: RunningService, keep: string): void {
  const db = new Database(path.join(service.dataDir, 'render.db'));
  try {
    db.pragma('busy_timeout = 5000');
    db.transaction(() => {
      for (const table of ['queue', 'job_decks', 'jobs']) db.prepare(`DELETE FROM ${table} WHERE id != ?`).run(keep);
    })();
  } finally {
    db.close();
  }
}

/**
 * The CLI mix on every process of `sides`, `cycles` cycles. In a cycle each pair (off #k, on #k) runs
 * one round of `amount` requests with both processes loaded at the same moment, each by its own
 * autocannon, and each reference runs a round together with one of the off processes (a different
 * one every cycle). A pair's two rounds so see the same machine: on this shared 2-core VM a process's
 * CPU per request moves by ±5–15% from one second to the next with what else runs on the host (same
 * run, same 8 processes, 24 pairs each way, two runs: the standard deviation of a pair's ratio was
 * 0.054 side by side against 0.095 one after the other, then 0.064 against 0.063, the medians alike),
 * and a side-by-side pair takes half the time, so a run measures twice the pairs. Each side's CPU is
 * its own process's, read from /proc, so running together does not mix them up. Several processes per
 * side because one process can run a few percent faster or slower than another of the same build for
 * its whole life (four identical disabled APIs, same run: medians 118.8–131.8 µs per request).
 */
export async function cliMix(sides: CliMixSides, cycles: number, amount: number): Promise<CliMixRuns> {
  if (sides.off.length === 0 || sides.off.length !== sides.on.length) throw new Error('cliMix: as many off as on processes, at least one');
  const refs = Object.entries(sides.refs ?? {});
  const all = [...sides.off, ...sides.on, ...refs.map(([, s]) => s)];
  const jobs = new Map<RunningService, string>();
  for (const s of all) jobs.set(s, (await submitJob(s.url, tinyDeck('bench'))).id);
  // Warm-up: JIT and connection pools, long enough to cover the first span exports (every 2 s) on the
  // traced side. With 1 s, the first measured round of the traced side was always its slowest
  // (297–319 µs against 201–239 in the next rounds): one-time compilation counted as per-request cost.
  // All processes warm up at once: nothing is measured yet, and it keeps the quick run under its 120 s.
  await Promise.all(all.map((s) => cliMixRun(s, jobs.get(s)!, WARM_UP_REQUESTS)));
  for (const s of all) clearJobs(s, jobs.get(s)!);
  // Both rounds at the same time; only once both are done are the jobs they left cleared, so the
  // clearing never runs during a measured round.
  const pair = async (a: RunningService, b: RunningService): Promise<LoadRun[]> => {
    const runs = await Promise.all([cliMixRun(a, jobs.get(a)!, amount), cliMixRun(b, jobs.get(b)!, amount)]);
    for (const s of [a, b]) clearJobs(s, jobs.get(s)!);
    return runs;
  };
  const out: CliMixRuns = {
    off: [],
    on: [],
    refs: Object.fromEntries(refs.map(([n]) => [n, []])),
    refsOff: Object.fromEntries(refs.map(([n]) => [n, []])),
  };
  // Then one unmeasured cycle of pairs, as measured ones run. Right after the all-at-once warm-up, the
  // first cycle still ran ≈ 30% slower than the next ones on both sides and more so on the traced
  // side (quick run, first cycle off 154–166 / on 183–195 µs per request, pairs 0.83–0.91; later
  // cycles off 112–131 / on 126–147, pairs 0.88–0.95); with this cycle unmeasured the first measured
  // one is like the rest (off 119–123 / on 133–140).
  for (let k = 0; k < sides.off.length; k++) await pair(sides.off[k], sides.on[k]);
  for (let c = 0; c < cycles; c++) {
    for (let k = 0; k < sides.off.length; k++) {
      const [off, on] = await pair(sides.off[k], sides.on[k]);
      out.off.push(off);
      out.on.push(on);
    }
    for (let r = 0; r < refs.length; r++) {
      const [name, s] = refs[r];
      const [off, ref] = await pair(sides.off[(c + r) % sides.off.length], s);
      out.refsOff[name].push(off);
      out.refs[name].push(ref);
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
