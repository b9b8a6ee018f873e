/**
 * Where the instrumented API's extra CPU per request goes: service CPU µs per `GET /api/jobs/:id`
 * at saturation for variants that add one piece at a time, interleaved, medians of ROUNDS. No
 * target: this explains bench (a)'s ratio. Run: `node --import tsx bench/api-cost-breakdown.ts [seconds] [rounds]`.
 */
import path from 'node:path';
import autocannon from 'autocannon';
import { REPO_ROOT, startService } from '../test/support/service';
import { submitJob, tinyDeck } from '../test/support/jobs';
import { startCountingSink } from './span-sink';
import { processCpuSeconds } from './proc-cpu';
import { median, raw } from './stats';

const SECONDS = Number(process.argv[2] ?? 3);
const ROUNDS = Number(process.argv[3] ?? 3);
const ALS_ON = `--import ${path.join(REPO_ROOT, 'bench', 'fixtures', 'als-on.mjs')}`;

/** Each variant adds one thing to the one before it. */
const VARIANTS: [string, boolean, Record<string, string>][] = [
  ['OTEL_SDK_DISABLED=true', false, {}],
  ['disabled + AsyncLocalStorage promise hooks', false, { NODE_OPTIONS: ALS_ON }],
  // The SDK's own AsyncLocalStorage turns on with its first export (the submit's spans); a short delay makes that happen in the warm-up.
  [
    'SDK, no request spans (runtime-node only)',
    true,
    { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'runtime-node', OTEL_BSP_SCHEDULE_DELAY: '100' },
  ],
  ['lean server spans, not exported', true, { OTEL_TRACES_EXPORTER: 'none' }],
  ['lean server spans, OTLP export (shipped)', true, {}],
  ['stock http instrumentation, OTLP export', true, { RENDER_HTTP_SERVER_SPANS: 'stock' }],
];

/** CPU time (user + system, ms) the process has used so far, from /proc: steadier than req/s on a shared machine. */
function cpuMs(pid: number): number {
  return processCpuSeconds(pid, false) * 1000;
}

async function cpuPerRequest(telemetry: boolean, env: Record<string, string>, otlpUrl: string): Promise<number> {
  const service = await startService({
    entry: 'services/api/main.ts',
    telemetry,
    env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, LOG_LEVEL: 'warn', ...env },
  });
  try {
    const job = await submitJob(service.url, tinyDeck('bench'));
    const url = `${service.url}/api/jobs/${job.id}`;
    await autocannon({ url, connections: 16, duration: 1 });
    const before = cpuMs(service.child.pid!);
    const result = await autocannon({ url, connections: 16, duration: SECONDS });
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`bench requests failed: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return ((cpuMs(service.child.pid!) - before) * 1000) / result.requests.total;
  } finally {
    await service.stop();
    service.cleanup();
  }
}

async function main(): Promise<void> {
  const sink = await startCountingSink();
  const samples = VARIANTS.map(() => [] as number[]);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < VARIANTS.length; i++) {
        const [, telemetry, env] = VARIANTS[i];
        samples[i].push(await cpuPerRequest(telemetry, env, sink.url));
      }
    }
  } finally {
    await sink.close();
  }
  const base = median(samples[0]);
  console.log(`API CPU µs per GET /api/jobs/:id (median of ${ROUNDS} × ${SECONDS} s, 16 connections); ratio = disabled / variant`);
  VARIANTS.forEach(([name], i) => {
    const m = median(samples[i]);
    console.log(`  ${name.padEnd(46)} ${m.toFixed(0).padStart(4)} µs  ${(base / m).toFixed(3)}  [${raw(samples[i])}]`);
  });
}

void main();
