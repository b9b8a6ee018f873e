/**
 * Micro-benchmark of the job-lifecycle span helpers, to explain (b): µs per call of the enqueue
 * (startEnqueueSpan + end, as persistAndEnqueue does), the attempt
 * (withConsumerSpan around a no-op) and a stage (withSpan around a no-op), against the same no-op
 * with telemetry off. Runs in a child under the real bootstrap (OTLP export to a local sink, the
 * default protocol), operations interleaved in every round, medians of ROUNDS. No target.
 * Run: `node --import tsx bench/job-spans.ts [calls] [rounds]`.
 */
import { runBenchChild } from './child';
import { startEnqueueSpan, withConsumerSpan, withSpan } from '../services/telemetry/tracing';
import { shutdownTelemetry } from '../services/telemetry/lifecycle';
import { startCountingSink } from './span-sink';
import { median, raw } from './stats';

const IS_CHILD = process.argv[2] === 'child';
const CALLS = Number((IS_CHILD ? process.argv[3] : process.argv[2]) ?? 20_000);
const ROUNDS = Number((IS_CHILD ? process.argv[4] : process.argv[3]) ?? 7);

const target = { messagingSystem: 'sqlite', queueName: 'render' };
const noop = async () => ({ kind: 'completed' as const });

/** Each operation, as the job path calls it. */
const OPERATIONS: Record<string, (i: number, carrier: Record<string, string>) => Promise<unknown> | unknown> = {
  'no-op (baseline)': () => noop(),
  'enqueue: startEnqueueSpan + end': (i) => startEnqueueSpan(`job-${i}`, target).span.end(),
  'attempt: withConsumerSpan(no-op)': (i, carrier) => withConsumerSpan({ id: `job-${i}`, attempt: 1, carrier }, target, noop),
  'stage: withSpan(no-op)': () => withSpan('render fetch', { 'render.stage': 'fetch' }, noop),
};

/** Child: µs per call of every operation, per round (interleaved), as one JSON line. */
async function child(): Promise<void> {
  const names = Object.keys(OPERATIONS);
  const carrier = startEnqueueSpan('job-0', target).carrier;
  const perRound: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = -1; round < ROUNDS; round++) {
    for (const name of names) {
      const op = OPERATIONS[name];
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < CALLS; i++) {
        await op(i, carrier);
        // Lets the batch processor export, as it would between real jobs; the baseline pays the same.
        if (i % 200 === 0) await new Promise((r) => setImmediate(r));
      }
      const us = Number(process.hrtime.bigint() - t0) / 1e3 / CALLS;
      if (round >= 0) perRound[name].push(us); // round -1 is the warm-up
    }
  }
  await shutdownTelemetry();
  process.stdout.write(`${JSON.stringify(perRound)}\n`);
}

function runChild(telemetry: boolean, otlpUrl: string): Promise<Record<string, number[]>> {
  return runBenchChild('bench/job-spans.ts', [String(CALLS), String(ROUNDS)], {
    OTEL_SDK_DISABLED: String(!telemetry),
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
  });
}

async function main(): Promise<void> {
  const sink = await startCountingSink();
  try {
    const off = await runChild(false, sink.url);
    const on = await runChild(true, sink.url);
    console.log(`µs per call (median of ${ROUNDS} rounds × ${CALLS} calls; OTLP export to a local sink); telemetry off → on`);
    for (const name of Object.keys(OPERATIONS)) {
      const [a, b] = [median(off[name]), median(on[name])];
      console.log(
        `  ${name.padEnd(52)} ${a.toFixed(2).padStart(6)} → ${b.toFixed(2).padStart(6)}  (+${(b - a).toFixed(2)})  on [${raw(on[name], 2)}]`,
      );
    }
    console.log(`  spans received ${sink.spans()} (${sink.posts()} posts)`);
  } finally {
    await sink.close();
  }
}

if (IS_CHILD) void child();
else void main();
