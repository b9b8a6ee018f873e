/**
 * (c) `/api/metrics` serialization: our pull reader + Prometheus text renderer against prom-client
 * producing the same series (same names, labels, buckets, values), in the same process and run.
 * Target: ours ≤ 1.5× prom-client's time per scrape. Also timed: the stock
 * @opentelemetry/exporter-prometheus serializer on the same reader's collections (collect +
 * PrometheusSerializer.serialize, what the stock exporter does per scrape, without its HTTP server);
 * target: ours no slower (≤ 1×), the measured half of why we keep our own reader.
 * Run: `node --import tsx bench/metrics-scrape.ts [scrapes]`.
 */
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import client from 'prom-client';
import { installTestTelemetry } from '../test/support/telemetry';
import { ERROR_CATEGORIES } from '../services/shared/errors/categories';
import { JOB_STATUSES, STAGES } from '../services/shared/job';
import {
  BUCKETS,
  observeQueue,
  recordEncode,
  recordError,
  recordJobStatus,
  recordQueueWait,
  recordRenderDuration,
  recordStageDuration,
  recordWebhook,
} from '../services/telemetry/metrics';
import { exitWithVerdict, reportRatio } from './report';

const SCRAPES = Number(process.argv[2] ?? 2000);

function promClientTwin(): client.Registry {
  const registry = new client.Registry();
  const jobs = new client.Counter({ name: 'render_jobs_total', help: 'Jobs', labelNames: ['status'], registers: [registry] });
  const errors = new client.Counter({ name: 'render_errors_total', help: 'Errors', labelNames: ['category'], registers: [registry] });
  const retries = new client.Counter({ name: 'render_retries_total', help: 'Retries', labelNames: ['category'], registers: [registry] });
  const duration = new client.Histogram({
    name: 'render_duration_seconds',
    help: 'Duration',
    labelNames: ['status'],
    buckets: BUCKETS.renderDuration,
    registers: [registry],
  });
  const wait = new client.Histogram({ name: 'render_queue_wait_seconds', help: 'Wait', buckets: BUCKETS.queueWait, registers: [registry] });
  const stage = new client.Histogram({
    name: 'render_stage_duration_seconds',
    help: 'Stage',
    labelNames: ['stage'],
    buckets: BUCKETS.stageDuration,
    registers: [registry],
  });
  const speed = new client.Histogram({
    name: 'render_encode_speed_ratio',
    help: 'Speed',
    buckets: BUCKETS.encodeSpeed,
    registers: [registry],
  });
  const output = new client.Counter({ name: 'render_output_video_seconds_total', help: 'Output', registers: [registry] });
  const webhooks = new client.Counter({
    name: 'render_webhook_deliveries_total',
    help: 'Webhooks',
    labelNames: ['event', 'outcome'],
    registers: [registry],
  });
  const memory = new client.Gauge({
    name: 'system_memory_usage',
    help: 'Memory',
    labelNames: ['type'],
    registers: [registry],
    collect() {
      const m = process.memoryUsage();
      this.set({ type: 'rss' }, m.rss);
      this.set({ type: 'heap_used' }, m.heapUsed);
      this.set({ type: 'heap_total' }, m.heapTotal);
      this.set({ type: 'external' }, m.external);
    },
  });
  new client.Gauge({
    name: 'system_uptime',
    help: 'Uptime',
    registers: [registry],
    collect() {
      this.set(process.uptime());
    },
  });
  new client.Gauge({
    name: 'render_queue_size',
    help: 'Queue',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.set({ state: 'waiting' }, 4);
      this.set({ state: 'active' }, 1);
      this.set({ state: 'delayed' }, 0);
    },
  });
  new client.Gauge({
    name: 'render_queue_oldest_job_age_seconds',
    help: 'Oldest',
    registers: [registry],
    collect() {
      this.set(3);
    },
  });
  new client.Gauge({
    name: 'render_workers_alive',
    help: 'Workers',
    registers: [registry],
    collect() {
      this.set(2);
    },
  });
  void memory;
  feed({
    job: (s) => jobs.inc({ status: s }),
    duration: (s, v) => duration.observe({ status: s }, v),
    error: (c, r) => (errors.inc({ category: c }), r && retries.inc({ category: c })),
    wait: (v) => wait.observe(v),
    stage: (s, v) => stage.observe({ stage: s }, v),
    encode: (sp, v) => (speed.observe(sp), output.inc(v)),
    webhook: (e, o) => webhooks.inc({ event: e, outcome: o }),
  });
  return registry;
}

interface Sink {
  job(s: (typeof JOB_STATUSES)[number]): void;
  duration(s: 'completed' | 'failed', v: number): void;
  error(c: (typeof ERROR_CATEGORIES)[number], retried: boolean): void;
  wait(v: number): void;
  stage(s: (typeof STAGES)[number], v: number): void;
  encode(speed: number, seconds: number): void;
  webhook(event: string, outcome: 'delivered' | 'failed'): void;
}

/** The same recorded history for both sides. */
function feed(sink: Sink): void {
  for (let i = 0; i < 500; i++) {
    sink.job(JOB_STATUSES[i % JOB_STATUSES.length]);
    sink.duration(i % 5 ? 'completed' : 'failed', (i % 97) * 3.1);
    sink.error(ERROR_CATEGORIES[i % ERROR_CATEGORIES.length], i % 2 === 0);
    sink.wait((i % 31) * 0.7);
    sink.stage(STAGES[i % STAGES.length], (i % 13) * 0.4);
    sink.encode(1 + (i % 9), 12);
    sink.webhook(i % 2 ? 'job.completed' : 'job.failed', i % 7 ? 'delivered' : 'failed');
  }
}

async function timePerScrape(scrape: () => Promise<string>): Promise<{ ms: number; bytes: number }> {
  let bytes = 0;
  for (let i = 0; i < 200; i++) bytes = (await scrape()).length; // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < SCRAPES; i++) await scrape();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6 / SCRAPES, bytes };
}

async function main(): Promise<void> {
  const telemetry = installTestTelemetry();
  feed({
    job: recordJobStatus,
    duration: recordRenderDuration,
    error: recordError,
    wait: recordQueueWait,
    stage: recordStageDuration,
    encode: recordEncode,
    webhook: recordWebhook,
  });
  observeQueue(async () => ({ waiting: 4, active: 1, delayed: 0, oldestWaitingAgeSeconds: 3, workersAlive: 2 }));
  const ours = telemetry.reader.collector();
  const registry = promClientTwin();
  const serializer = new PrometheusSerializer();
  const stock = async () => serializer.serialize((await telemetry.reader.collect()).resourceMetrics);
  // Alternate the two twice so neither benefits from running last (JIT, GC state).
  const a1 = await timePerScrape(() => ours.prometheus());
  const b1 = await timePerScrape(() => registry.metrics());
  const a2 = await timePerScrape(() => ours.prometheus());
  const b2 = await timePerScrape(() => registry.metrics());
  const c1 = await timePerScrape(stock);
  const a3 = await timePerScrape(() => ours.prometheus());
  const c2 = await timePerScrape(stock);
  const oursMs = Math.min(a1.ms, a2.ms, a3.ms);
  const theirsMs = Math.min(b1.ms, b2.ms);
  const stockMs = Math.min(c1.ms, c2.ms);
  reportRatio(
    '(c) /api/metrics scrape time vs prom-client',
    oursMs / theirsMs,
    1.5,
    false,
    `ours ${(oursMs * 1000).toFixed(0)} µs (${a1.bytes} B) vs prom-client ${(theirsMs * 1000).toFixed(0)} µs (${b1.bytes} B) per scrape`,
  );
  reportRatio(
    '(c) /api/metrics scrape time vs the stock OTel PrometheusSerializer',
    oursMs / stockMs,
    1,
    false,
    `ours ${(oursMs * 1000).toFixed(0)} µs (${a1.bytes} B) vs stock ${(stockMs * 1000).toFixed(0)} µs (${c1.bytes} B) per collect + serialize`,
  );
  await telemetry.shutdown();
  exitWithVerdict();
}

void main();
