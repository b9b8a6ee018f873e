/**
 * (b) No-op job throughput through the embedded queue: enqueue (PRODUCER span, carrier stored)
 * and process (CONSUMER span per attempt) with full telemetry exporting to a local OTLP sink,
 * against the same code with OTEL_SDK_DISABLED=true. Traced runs export with the default
 * http/protobuf (the target) and, as a reference, http/json. Each side runs in its own child
 * process, interleaved (off, protobuf, json, off, …), after a warm-up batch in the same process. The queue is
 * saturated (all jobs submitted at once), so the child is CPU-bound and the ratio measures
 * per-job cost rather than pick-up latency; the child's busy fraction is printed to show it.
 * Target: traced ≥ 0.90 × untraced. Run: `node --import tsx bench/job-throughput.ts [jobs] [rounds]`.
 */
import { runBenchChild } from './child';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startJobs, type JobLifecycle } from '../services/jobs';
import { createQueueBackend } from '../services/queue';
import { loadConfig } from '../services/shared/config';
import { newJobRecord } from '../services/shared/job';
import { renderRequestSchema } from '../services/shared/request';
import { withConsumerSpan } from '../services/telemetry/tracing';
import { shutdownTelemetry } from '../services/telemetry/lifecycle';
import { exitWithVerdict, reportRatio } from './report';
import { startCountingSink } from './span-sink';
import { median, raw } from './stats';

const IS_CHILD = process.argv[2] === 'child';
const JOBS = Number((IS_CHILD ? process.argv[3] : process.argv[2]) ?? 3000);
const ROUNDS = Number((IS_CHILD ? undefined : process.argv[3]) ?? 5);
const WARMUP_JOBS = 500;

/** One child's measurement of JOBS jobs after the warm-up. */
interface Sample {
  jobsPerSecond: number;
  cpuUsPerJob: number;
  /** CPU time / wall time of the measured window: near 1 means CPU-bound. */
  busy: number;
}

/** What a no-op job "renders". */
const NO_OUTPUT = { url: '', bytes: 0, durationSeconds: 0, width: 0, height: 0 };

const request = renderRequestSchema.parse({ title: 'bench', slides: [{ title: 'one', duration: 1 }] });

/**
 * Submits `count` jobs back to back and resolves when all are processed. Each submit gets its own
 * event-loop turn, as each `POST /api/jobs` of a burst would, so the worker and the span exporter
 * run alongside instead of after one long chain of microtasks.
 */
async function batch(lifecycle: JobLifecycle, count: number, processed: { until(n: number): Promise<void> }): Promise<void> {
  const finished = processed.until(count);
  for (let i = 0; i < count; i++) {
    await lifecycle.submit(newJobRecord(randomUUID(), request, 1));
    await new Promise((r) => setImmediate(r));
  }
  await finished;
}

/** Child: warm-up batch, then JOBS no-op jobs through enqueue and a worker; prints a Sample. */
async function child(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-bench-'));
  const config = loadConfig({ RENDER_DATA_DIR: dataDir, RENDER_CONCURRENCY: '4' });
  const logger = pino({ level: 'silent' });
  const backend = await createQueueBackend(config, logger);
  const jobs = startJobs({ backend, config, logger });
  const { lifecycle } = jobs;
  let done = 0;
  let target = 0;
  let reached: () => void = () => {};
  const processed = {
    until(n: number): Promise<void> {
      target = done + n;
      return new Promise<void>((r) => (reached = r));
    },
  };
  const worker = await backend.startWorker(
    (job) =>
      withConsumerSpan(job, backend, async () => {
        // A no-op job's two status changes, as a real attempt makes them: start, then complete.
        const started = await lifecycle.start({ jobId: job.id, attempt: job.attempt, startedAt: new Date(), queueWaitSeconds: 0 });
        if (started) await lifecycle.complete(started.owner, { outputKey: `${job.id}.mp4`, output: NO_OUTPUT, durationSeconds: 0 });
        if (++done === target) reached();
        return { kind: 'completed' as const };
      }),
    { concurrency: 4, heartbeatMs: 10_000, onGaveUp: lifecycle.onGaveUp },
  );
  await batch(lifecycle, WARMUP_JOBS, processed); // JIT, lazily loaded exporter code, first OTLP connection
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await batch(lifecycle, JOBS, processed);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  await worker.close();
  await jobs.close();
  await backend.close();
  await shutdownTelemetry();
  rmSync(dataDir, { recursive: true, force: true });
  const sample: Sample = { jobsPerSecond: JOBS / seconds, cpuUsPerJob: (cpuSeconds * 1e6) / JOBS, busy: cpuSeconds / seconds };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}

/** The sides compared: untraced, and traced with each OTLP encoding. */
const SIDES = {
  untraced: { OTEL_SDK_DISABLED: 'true' },
  'traced, http/protobuf': { OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' },
  'traced, http/json': { OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' },
} as const;
type Side = keyof typeof SIDES;

function runChild(side: Side, otlpUrl: string): Promise<Sample> {
  return runBenchChild('bench/job-throughput.ts', [String(JOBS)], {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
    ...SIDES[side],
  });
}

async function main(): Promise<void> {
  const sink = await startCountingSink();
  try {
    const samples: Record<Side, Sample[]> = { untraced: [], 'traced, http/protobuf': [], 'traced, http/json': [] };
    const sides = Object.keys(SIDES) as Side[];
    // Interleaved and rotated so drift in background load (other processes on the machine) hits every side alike.
    for (let i = 0; i < ROUNDS; i++) {
      for (let j = 0; j < sides.length; j++)
        samples[sides[(i + j) % sides.length]].push(await runChild(sides[(i + j) % sides.length], sink.url));
    }
    const expectedSpans = 2 * ROUNDS * (WARMUP_JOBS + JOBS) * 2;
    const off = samples.untraced;
    for (const side of sides) {
      console.log(
        `(b) ${side.padEnd(21)} jobs/s [${raw(samples[side].map((s) => s.jobsPerSecond))}]  CPU µs/job [${raw(samples[side].map((s) => s.cpuUsPerJob))}]  busy [${raw(
          samples[side].map((s) => s.busy),
          2,
        )}]`,
      );
    }
    console.log(`    spans received ${sink.spans()} of ${expectedSpans} (${sink.posts()} OTLP posts)`);
    const [offRate, offCpu] = [median(off.map((s) => s.jobsPerSecond)), median(off.map((s) => s.cpuUsPerJob))];
    for (const side of ['traced, http/protobuf', 'traced, http/json'] as const) {
      const on = samples[side];
      const [onRate, onCpu] = [median(on.map((s) => s.jobsPerSecond)), median(on.map((s) => s.cpuUsPerJob))];
      const ratio = (name: string, value: number, detail: string) =>
        side === 'traced, http/protobuf'
          ? reportRatio(name, value, 0.9, true, detail)
          : console.log(`      reference, no target: ${name}: ${value.toFixed(3)}  ${detail}`);
      ratio(
        `(b) no-op job throughput ${side} vs untraced`,
        onRate / offRate,
        `${onRate.toFixed(0)} vs ${offRate.toFixed(0)} jobs/s (embedded queue, concurrency 4, ${JOBS} jobs after ${WARMUP_JOBS} warm-up, median of ${ROUNDS})`,
      );
      ratio(`(b) CPU per job untraced / ${side}`, offCpu / onCpu, `${offCpu.toFixed(0)} vs ${onCpu.toFixed(0)} µs`);
    }
  } finally {
    await sink.close();
  }
  exitWithVerdict();
}

if (IS_CHILD) void child();
else void main();
