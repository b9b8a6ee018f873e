/**
 * (b) No-op job throughput through the embedded queue: enqueue (PRODUCER span, carrier stored)
 * and process (CONSUMER span per attempt) with full telemetry exporting to a local OTLP sink,
 * against the same code with OTEL_SDK_DISABLED=true. Each side runs in its own child process,
 * alternating. Target: traced ≥ 0.90 × untraced. Run: `node --import tsx bench/job-throughput.ts [jobs] [rounds]`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { persistAndEnqueue } from '../services/api/enqueue';
import { createQueueBackend } from '../services/queue';
import { loadConfig } from '../services/shared/config';
import { newJobRecord } from '../services/shared/job';
import { renderRequestSchema } from '../services/shared/request';
import { withConsumerSpan } from '../services/telemetry/tracing';
import { shutdownTelemetry } from '../services/telemetry/lifecycle';
import { startOtlpSink } from '../test/support/otlp-receiver';
import { REPO_ROOT } from '../test/support/service';
import { exitWithVerdict, reportRatio } from './report';

const JOBS = Number((process.argv[2] === 'child' ? process.argv[3] : process.argv[2]) ?? 400);

/** Child: pushes JOBS no-op jobs through enqueue and a worker, prints jobs/s. */
async function child(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-bench-'));
  const config = loadConfig({ RENDER_DATA_DIR: dataDir, RENDER_CONCURRENCY: '4' });
  const backend = await createQueueBackend(config, pino({ level: 'silent' }));
  const request = renderRequestSchema.parse({ title: 'bench', slides: [{ title: 'one', duration: 1 }] });
  let done = 0;
  let finish!: () => void;
  const allDone = new Promise<void>((r) => (finish = r));
  const worker = await backend.startWorker(
    (job) =>
      withConsumerSpan(job, backend, async () => {
        await backend.store.update(job.id, { status: 'completed', finishedAt: new Date().toISOString() });
        if (++done === JOBS) finish();
        return { kind: 'completed' as const };
      }),
    { concurrency: 4, heartbeatMs: 10_000 },
  );
  const started = process.hrtime.bigint();
  for (let i = 0; i < JOBS; i++) await persistAndEnqueue(backend, { kind: 'create', job: newJobRecord(randomUUID(), request, 1) });
  await allDone;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await worker.close();
  await backend.close();
  await shutdownTelemetry();
  rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ jobsPerSecond: JOBS / seconds })}\n`);
}

function runChild(telemetry: boolean, otlpUrl: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--import', './instrumentation/register.ts', 'bench/job-throughput.ts', 'child', String(JOBS)], {
      cwd: REPO_ROOT,
      env: { ...process.env, OTEL_SDK_DISABLED: String(!telemetry), OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.once('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`bench child exited ${code}`);
        resolve((JSON.parse(out.trim().split('\n').at(-1)!) as { jobsPerSecond: number }).jobsPerSecond);
      } catch (err) {
        reject(err);
      }
    });
  });
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[3] ?? 3);
  const sink = await startOtlpSink();
  try {
    const off: number[] = [];
    const on: number[] = [];
    for (let i = 0; i < rounds; i++) {
      off.push(await runChild(false, sink.url));
      on.push(await runChild(true, sink.url));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    reportRatio('(b) no-op job throughput traced vs untraced', median(on) / median(off), 0.9, true,
      `traced ${median(on).toFixed(0)} jobs/s vs untraced ${median(off).toFixed(0)} jobs/s (embedded queue, ${JOBS} jobs, median of ${rounds}; ${sink.requests()} OTLP posts)`);
  } finally {
    await sink.close();
  }
  exitWithVerdict();
}

if (process.argv[2] === 'child') void child();
else void main();
