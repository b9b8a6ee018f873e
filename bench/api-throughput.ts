/**
 * (a) API requests/s at saturation with full instrumentation (traces exported over OTLP to a local
 * sink) against the same build with OTEL_SDK_DISABLED=true, same machine, same run, alternating.
 * Target: instrumented ≥ 0.85 × disabled. Run: `node --import tsx bench/api-throughput.ts [seconds] [rounds]`.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { startService, type RunningService } from '../test/support/service';
import { submitJob, tinyDeck } from '../test/support/jobs';
import { startOtlpSink } from '../test/support/otlp-receiver';
import { exitWithVerdict, reportRatio } from './report';

const SECONDS = Number(process.argv[2] ?? 6);
const ROUNDS = Number(process.argv[3] ?? 3);

/** CPU time (user + system, ms) the process has used so far, from /proc: steadier than req/s on a shared machine. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
}

interface Run {
  rps: number;
  cpuUsPerRequest: number;
}

async function load(url: string, seconds: number, pid: number): Promise<Run> {
  const before = cpuMs(pid);
  const result = await autocannon({ url, connections: 16, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`bench requests failed: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, cpuUsPerRequest: ((cpuMs(pid) - before) * 1000) / result.requests.total };
}

async function measure(telemetry: boolean, otlpUrl: string): Promise<Run> {
  let service: RunningService | undefined;
  try {
    service = await startService({
      entry: 'services/api/main.ts',
      telemetry,
      env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, LOG_LEVEL: 'warn' },
    });
    const job = await submitJob(service.url, tinyDeck('bench'));
    const target = `${service.url}/api/jobs/${job.id}`;
    await load(target, 2, service.child.pid!); // warm-up: JIT, connection pools
    return await load(target, SECONDS, service.child.pid!);
  } finally {
    await service?.stop();
    service?.cleanup();
  }
}

async function main(): Promise<void> {
  const sink = await startOtlpSink();
  try {
    const off: Run[] = [];
    const on: Run[] = [];
    // Alternating rounds so drift in background load hits both sides alike.
    for (let round = 0; round < ROUNDS; round++) {
      off.push(await measure(false, sink.url));
      on.push(await measure(true, sink.url));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const rpsOn = median(on.map((r) => r.rps));
    const rpsOff = median(off.map((r) => r.rps));
    const cpuOn = median(on.map((r) => r.cpuUsPerRequest));
    const cpuOff = median(off.map((r) => r.cpuUsPerRequest));
    reportRatio('(a) API req/s instrumented vs OTEL_SDK_DISABLED', rpsOn / rpsOff, 0.85, true,
      `instrumented ${rpsOn.toFixed(0)} req/s vs disabled ${rpsOff.toFixed(0)} req/s (GET /api/jobs/:id, 16 connections, median of ${ROUNDS} × ${SECONDS}s; ${sink.requests()} OTLP posts)`);
    console.log(`      same comparison as service CPU per request: disabled ${cpuOff.toFixed(0)} µs / instrumented ${cpuOn.toFixed(0)} µs = ${(cpuOff / cpuOn).toFixed(3)}`);
  } finally {
    await sink.close();
  }
  exitWithVerdict();
}

void main();
