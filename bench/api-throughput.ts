/**
 * (a) API requests/s at saturation (autocannon, 16 connections) with full telemetry exporting
 * OTLP to a local sink vs the same build with OTEL_SDK_DISABLED=true, per endpoint and for the
 * CLI's pattern, same machine, same run, variants interleaved in every round, medians printed
 * with the raw numbers. Also measured, as a reference without a target: the stock http
 * instrumentation for incoming requests (RENDER_HTTP_SERVER_SPANS=stock) instead of our lean hook,
 * and OTLP http/json export instead of the default http/protobuf.
 * Target: instrumented ≥ 0.85 × disabled for each workload.
 * Run: `node --import tsx bench/api-throughput.ts [seconds] [rounds]`.
 */
import autocannon from 'autocannon';
import { startService, type RunningService } from '../test/support/service';
import { submitJob, tinyDeck } from '../test/support/jobs';
import { exitWithVerdict, reportRatio } from './report';
import { startCountingSink } from './span-sink';
import { processCpuSeconds } from './proc-cpu';
import { median, raw } from './stats';

const SECONDS = Number(process.argv[2] ?? 4);
const ROUNDS = Number(process.argv[3] ?? 3);
const TARGET = 0.85;
/** Status polls per submit in the CLI mix: `submit --follow` polls every 500 ms, so 20 polls follow a 10 s render. */
const POLLS_PER_SUBMIT = 20;

const VARIANTS = {
  disabled: { telemetry: false, env: {} },
  instrumented: { telemetry: true, env: {} },
  'http/json': { telemetry: true, env: { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' } },
  'stock http': { telemetry: true, env: { RENDER_HTTP_SERVER_SPANS: 'stock' } },
} as const;
type Variant = keyof typeof VARIANTS;

const deckBody = JSON.stringify(tinyDeck('bench'));
const post = { method: 'POST' as const, path: '/api/jobs', headers: { 'content-type': 'application/json' }, body: deckBody };

/** Each workload: what every connection sends, in a loop. */
const WORKLOADS: Record<string, (jobId: string) => autocannon.Request[]> = {
  'GET /api/jobs/:id': (id) => [{ path: `/api/jobs/${id}` }],
  'GET /api/jobs': () => [{ path: '/api/jobs?limit=20' }],
  'POST /api/jobs': () => [post],
  [`CLI mix (1 POST + ${POLLS_PER_SUBMIT} polls)`]: (id) => [
    post,
    ...Array.from({ length: POLLS_PER_SUBMIT }, () => ({ path: `/api/jobs/${id}` })),
  ],
};

/** CPU time (user + system, ms) the process has used so far, from /proc: steadier than req/s on a shared machine. */
function cpuMs(pid: number): number {
  return processCpuSeconds(pid, false) * 1000;
}

interface Run {
  rps: number;
  cpuUsPerRequest: number;
}

async function load(url: string, requests: autocannon.Request[], seconds: number, pid: number): Promise<Run> {
  const before = cpuMs(pid);
  const result = await autocannon({ url, connections: 16, duration: seconds, requests });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`bench requests failed: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, cpuUsPerRequest: ((cpuMs(pid) - before) * 1000) / result.requests.total };
}

/** Starts one service for `variant` and runs every workload on it (1 s warm-up each). */
async function measure(variant: Variant, otlpUrl: string): Promise<Record<string, Run>> {
  let service: RunningService | undefined;
  try {
    service = await startService({
      entry: 'services/api/main.ts',
      telemetry: VARIANTS[variant].telemetry,
      env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, LOG_LEVEL: 'warn', ...VARIANTS[variant].env },
    });
    const job = await submitJob(service.url, tinyDeck('bench'));
    const runs: Record<string, Run> = {};
    for (const [name, requests] of Object.entries(WORKLOADS)) {
      await load(service.url, requests(job.id), 1, service.child.pid!); // warm-up: JIT, connection pools
      runs[name] = await load(service.url, requests(job.id), SECONDS, service.child.pid!);
    }
    return runs;
  } finally {
    await service?.stop();
    service?.cleanup();
  }
}

async function main(): Promise<void> {
  const sink = await startCountingSink();
  const results: Record<Variant, Record<string, Run>[]> = { disabled: [], instrumented: [], 'http/json': [], 'stock http': [] };
  let instrumentedRequests = 0;
  try {
    const order = Object.keys(VARIANTS) as Variant[];
    for (let round = 0; round < ROUNDS; round++) {
      // Rotated each round so no variant always runs first or last while background load drifts.
      for (let i = 0; i < order.length; i++) {
        const variant = order[(i + round) % order.length];
        const runs = await measure(variant, sink.url);
        results[variant].push(runs);
        if (variant !== 'disabled') instrumentedRequests += Object.values(runs).reduce((n, r) => n + r.rps * SECONDS, 0);
      }
    }
  } finally {
    await sink.close();
  }
  console.log(
    `(a) ${ROUNDS} rounds × ${SECONDS} s per workload, 16 connections; ${sink.spans()} spans received over OTLP (${sink.posts()} posts) for ~${instrumentedRequests.toFixed(0)} measured instrumented requests plus warm-ups`,
  );
  for (const name of Object.keys(WORKLOADS)) {
    const rps = (v: Variant) => results[v].map((r) => r[name].rps);
    const cpu = (v: Variant) => results[v].map((r) => r[name].cpuUsPerRequest);
    console.log(
      `  ${name}: req/s disabled [${raw(rps('disabled'))}] instrumented [${raw(rps('instrumented'))}] http/json [${raw(rps('http/json'))}] stock http [${raw(rps('stock http'))}]`,
    );
    console.log(
      `  ${' '.repeat(name.length)}  CPU µs/req disabled [${raw(cpu('disabled'))}] instrumented [${raw(cpu('instrumented'))}] http/json [${raw(cpu('http/json'))}] stock http [${raw(cpu('stock http'))}]`,
    );
    const [on, off, stock] = [median(rps('instrumented')), median(rps('disabled')), median(rps('stock http'))];
    const [cpuOn, cpuOff, cpuStock] = [median(cpu('instrumented')), median(cpu('disabled')), median(cpu('stock http'))];
    reportRatio(`(a) ${name} req/s instrumented vs disabled`, on / off, TARGET, true, `${on.toFixed(0)} vs ${off.toFixed(0)} req/s`);
    reportRatio(
      `(a) ${name} CPU/req disabled / instrumented`,
      cpuOff / cpuOn,
      TARGET,
      true,
      `${cpuOff.toFixed(0)} vs ${cpuOn.toFixed(0)} µs`,
    );
    const [json, cpuJson] = [median(rps('http/json')), median(cpu('http/json'))];
    console.log(`      reference, no target: OTLP http/json export ${(json / off).toFixed(3)} req/s, ${(cpuOff / cpuJson).toFixed(3)} CPU`);
    console.log(
      `      reference, no target: stock http instrumentation ${(stock / off).toFixed(3)} req/s, ${(cpuOff / cpuStock).toFixed(3)} CPU`,
    );
  }
  exitWithVerdict();
}

void main();
