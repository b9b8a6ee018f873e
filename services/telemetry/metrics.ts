/**
 * The one module that declares every instrument, with unit, description and buckets, and the typed
 * functions the services record through. It uses only `@opentelemetry/api`: with the SDK disabled
 * every call is a no-op. Instruments are created on first use, after the bootstrap in
 * `instrumentation/` has registered the global MeterProvider.
 *
 * Counters are named without `_total`: the Prometheus serialization adds it, so users scrape
 * `render_jobs_total` and `render_errors_total` exactly as before.
 *
 * The two telemetry-pipeline counters (`telemetry_*`) are the exception: the span processor in
 * `instrumentation/` records them, so they are declared in telemetry-bridge/pipeline-metrics.ts
 * and re-exported from here.
 */
import {
  metrics,
  TraceFlags,
  type Attributes,
  type BatchObservableResult,
  type Meter,
  type Observable,
  type SpanContext,
} from '@opentelemetry/api';
import type { ErrorCategory } from '../shared/errors/categories';
import type { JobStatus, Stage } from '../shared/job';
import { recordExemplar, resetExemplars } from '../../telemetry-bridge/exemplars';
import { BatchedHistogram } from './batched-histogram';
import { METER_NAME } from '../../telemetry-bridge/meter';
import { overdueJobs } from './active-jobs';
import { METRIC_LABELS } from './attributes';
import { buildInfo } from './build-info';
import { cgroupLimit, cgroupOomKills, memoryUsage } from './process-memory';

export { recordLogRecordsDropped, recordSpansDropped, recordTelemetryExportFailure } from '../../telemetry-bridge/pipeline-metrics';

/** Histogram buckets, in seconds unless said otherwise. */
export const BUCKETS = Object.freeze({
  renderDuration: [1, 5, 10, 30, 60, 120, 300, 600, 1800],
  queueWait: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600, 1800],
  stageDuration: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
  encodeSpeed: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64],
  // API requests: a small set (each bucket is a series per route and status) around the 1s
  // latency alert; streaming downloads land in the top buckets.
  httpServer: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  storageOperation: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
});

/** The semantic-convention name of the API request duration histogram (Prometheus: http_server_request_duration_seconds). */
export const HTTP_SERVER_DURATION = 'http.server.request.duration';

/** Every metric name as Prometheus shows it, for rules, dashboards and tests. */
export const METRIC_NAMES = Object.freeze({
  jobs: 'render_jobs_total',
  duration: 'render_duration_seconds',
  queueSize: 'render_queue_size',
  errors: 'render_errors_total',
  memory: 'system_memory_usage',
  uptime: 'system_uptime',
  queueWait: 'render_queue_wait_seconds',
  stageDuration: 'render_stage_duration_seconds',
  inProgress: 'render_jobs_in_progress',
  oldestAge: 'render_queue_oldest_job_age_seconds',
  encodeSpeed: 'render_encode_speed_ratio',
  outputSeconds: 'render_output_video_seconds_total',
  cpuSeconds: 'render_cpu_seconds_total',
  encodedSeconds: 'render_output_seconds_total',
  retries: 'render_retries_total',
  workerHeartbeat: 'render_worker_last_heartbeat_timestamp_seconds',
  workersAlive: 'render_workers_alive',
  webhooks: 'render_webhook_deliveries_total',
  storageOperation: 'render_storage_operation_duration_seconds',
  telemetryExportFailures: 'telemetry_export_failures_total',
  telemetrySpansDropped: 'telemetry_spans_dropped_total',
  telemetryLogRecordsDropped: 'telemetry_log_records_dropped_total',
  httpServerDuration: 'http_server_request_duration_seconds',
  buildInfo: 'render_build_info',
  memoryUsage: 'render_memory_usage_bytes',
  memoryLimit: 'render_memory_limit_bytes',
  oomKills: 'render_oom_kills_total',
  jobsOverdue: 'render_jobs_overdue',
  progressUpdates: 'render_job_progress_updates_total',
  rejectedDecks: 'render_rejected_decks_total',
  pieceCacheRequests: 'render_piece_cache_requests_total',
  pieceCacheBytes: 'render_piece_cache_bytes',
  pieceCacheEvicted: 'render_piece_cache_evicted_bytes_total',
});

/** Queue figures as a backend reports them. */
export interface QueueSnapshot {
  waiting: number;
  active: number;
  delayed: number;
  oldestWaitingAgeSeconds: number;
  workersAlive: number;
}

function create(meter: Meter) {
  const instruments = {
    jobs: meter.createCounter('render_jobs', { unit: '{job}', description: 'Jobs reaching each status (one increment per transition).' }),
    duration: meter.createHistogram('render_duration_seconds', {
      unit: 's',
      description: 'Processing time of finished jobs, from the start of their last attempt to completion or failure.',
      advice: { explicitBucketBoundaries: BUCKETS.renderDuration },
    }),
    errors: meter.createCounter('render_errors', {
      unit: '{error}',
      description: 'Jobs that failed for good, by error category (retried attempts count in render_retries_total).',
    }),
    queueWait: meter.createHistogram('render_queue_wait_seconds', {
      unit: 's',
      description: 'Time a job waited in the queue before an attempt started.',
      advice: { explicitBucketBoundaries: BUCKETS.queueWait },
    }),
    stageDuration: meter.createHistogram('render_stage_duration_seconds', {
      unit: 's',
      description: 'Time spent in each pipeline stage per attempt.',
      advice: { explicitBucketBoundaries: BUCKETS.stageDuration },
    }),
    inProgress: meter.createUpDownCounter('render_jobs_in_progress', {
      unit: '{job}',
      description: 'Jobs being processed by this process right now.',
    }),
    encodeSpeed: meter.createHistogram('render_encode_speed_ratio', {
      unit: '1',
      description: 'FFmpeg encode speed as a multiple of real time (2 = twice as fast as playback).',
      advice: { explicitBucketBoundaries: BUCKETS.encodeSpeed },
    }),
    outputSeconds: meter.createCounter('render_output_video_seconds', {
      unit: 's',
      description: 'Seconds of video produced by completed jobs.',
    }),
    cpuSeconds: meter.createCounter('render_cpu_seconds', {
      unit: 's',
      description:
        'CPU time (user + system) of the FFmpeg, ffprobe and espeak-ng processes the worker ran, by pipeline stage, every attempt included.',
    }),
    encodedSeconds: meter.createCounter('render_output_seconds', {
      unit: 's',
      description:
        'Seconds of video each encode stage produced and verified, every attempt included: the denominator of CPU-seconds per output-second.',
    }),
    retries: meter.createCounter('render_retries', {
      unit: '{retry}',
      description: 'Attempts scheduled for a retry, by the error category that caused them.',
    }),
    rejectedDecks: meter.createCounter('render_rejected_decks', {
      unit: '{deck}',
      description: "Decks refused at submit because of the client's own input (400 VALIDATION_FAILED or URL_NOT_ALLOWED), by client.",
    }),
    webhooks: meter.createCounter('render_webhook_deliveries', {
      unit: '{delivery}',
      description: 'Webhook deliveries by event and outcome.',
    }),
    storageOperation: meter.createHistogram('render_storage_operation_duration_seconds', {
      unit: 's',
      description:
        'Time per operation on the video storage (local directory or S3-compatible object store), by operation and outcome; a read lasts until its stream ends.',
      advice: { explicitBucketBoundaries: BUCKETS.storageOperation },
    }),
    memory: meter.createObservableGauge('system_memory_usage', {
      unit: 'By',
      description: 'Memory used by this process, by type (rss, heap_used, heap_total, external).',
    }),
    uptime: meter.createObservableGauge('system_uptime', { unit: 's', description: 'Seconds since this process started.' }),
    queueSize: meter.createObservableGauge('render_queue_size', {
      unit: '{job}',
      description: 'Jobs in the queue by state (waiting, active, delayed), observed from the queue backend.',
    }),
    oldestAge: meter.createObservableGauge('render_queue_oldest_job_age_seconds', {
      unit: 's',
      description: 'Age of the oldest waiting job; 0 when none waits.',
    }),
    workersAlive: meter.createObservableGauge('render_workers_alive', {
      unit: '{worker}',
      description: 'Workers that heartbeated to the queue backend recently.',
    }),
    storageFree: meter.createObservableGauge('render_storage_free_bytes', {
      unit: 'By',
      description: 'Free space of the volumes a worker writes to: data (outputs, database) and scratch (per-attempt files).',
    }),
    heartbeat: meter.createObservableGauge('render_worker_last_heartbeat_timestamp_seconds', {
      unit: 's',
      description: "Unix time of this worker's last successful heartbeat to the queue backend.",
    }),
    httpServerDuration: meter.createHistogram(HTTP_SERVER_DURATION, {
      unit: 's',
      description: 'Duration of HTTP server requests (every request, whatever the trace sampling).',
      advice: { explicitBucketBoundaries: BUCKETS.httpServer },
    }),
    progressUpdates: meter.createCounter('render_job_progress_updates', {
      unit: '{update}',
      description: 'Progress writes of running jobs (FFmpeg progress, stage changes): work that moves.',
    }),
    pieceCacheRequests: meter.createCounter('render_piece_cache_requests', {
      unit: '{request}',
      description:
        'Piece cache lookups of the encode and tts stages, by piece kind and result (hit; miss; corrupt: a stored piece that failed its checksum, discarded and rebuilt).',
    }),
    pieceCacheEvicted: meter.createCounter('render_piece_cache_evicted_bytes', {
      unit: 'By',
      description:
        'Bytes of pieces this worker evicted from the piece cache to keep it under RENDER_PIECE_CACHE_BYTES (least recently used first).',
    }),
    pieceCacheBytes: meter.createObservableGauge('render_piece_cache_bytes', {
      unit: 'By',
      description: "Bytes the piece cache held at this worker's last eviction pass (the whole cache on the shared storage, every scope).",
    }),
    buildInfo: meter.createObservableGauge('render_build_info', {
      unit: '1',
      description: 'Always 1; the labels name the service, FFmpeg and Node.js versions this process runs.',
    }),
    memoryUsage: meter.createObservableGauge('render_memory_usage_bytes', {
      unit: 'By',
      description:
        "Memory of this process and its children (FFmpeg): the cgroup's working set where readable, else the process tree's resident set.",
    }),
    memoryLimit: meter.createObservableGauge('render_memory_limit_bytes', {
      unit: 'By',
      description: "The memory limit this process runs under: RENDER_MEMORY_LIMIT_BYTES, else the cgroup's memory.max.",
    }),
    oomKills: meter.createObservableCounter('render_oom_kills', {
      unit: '{kill}',
      description: "Processes the kernel killed for memory in this process's cgroup (memory.events oom_kill).",
    }),
    jobsOverdue: meter.createObservableGauge('render_jobs_overdue', {
      unit: '{job}',
      description: 'Jobs this process runs past their expected duration (5 minutes plus 10x the video length).',
    }),
  };
  // Recorded once per API request, so batched (batched-histogram.ts); flushed below, before every collection.
  const httpServerBatch = new BatchedHistogram(instruments.httpServerDuration);
  meter.addBatchObservableCallback(
    (result: BatchObservableResult) => {
      try {
        httpServerBatch.flush();
      } catch {
        // Telemetry never breaks the app: the rest of the collection goes on.
      }
      const mem = process.memoryUsage();
      result.observe(instruments.memory, mem.rss, { [METRIC_LABELS.TYPE]: 'rss' });
      result.observe(instruments.memory, mem.heapUsed, { [METRIC_LABELS.TYPE]: 'heap_used' });
      result.observe(instruments.memory, mem.heapTotal, { [METRIC_LABELS.TYPE]: 'heap_total' });
      result.observe(instruments.memory, mem.external, { [METRIC_LABELS.TYPE]: 'external' });
      // process.uptime(), not the instruments' age: they are re-created whenever the provider changes.
      result.observe(instruments.uptime, process.uptime());
      // Telemetry never breaks the app: each figure is read on its own and skipped if unreadable.
      try {
        const usage = memoryUsage();
        if (usage !== undefined) result.observe(instruments.memoryUsage, usage);
        const limit = configuredMemoryLimit ?? cgroupLimit();
        if (limit !== undefined) result.observe(instruments.memoryLimit, limit);
        const kills = cgroupOomKills();
        if (kills !== undefined) result.observe(instruments.oomKills, kills);
      } catch {
        // no memory sample this time
      }
      result.observe(instruments.jobsOverdue, overdueJobs());
      if (pieceCacheHeld !== undefined) result.observe(instruments.pieceCacheBytes, pieceCacheHeld);
      const info = buildInfo();
      if (info) result.observe(instruments.buildInfo, 1, { ...info });
    },
    [
      instruments.memory,
      instruments.uptime,
      instruments.memoryUsage,
      instruments.memoryLimit,
      instruments.oomKills,
      instruments.jobsOverdue,
      instruments.pieceCacheBytes,
      instruments.buildInfo,
    ],
  );
  return { ...instruments, httpServerBatch };
}

let configuredMemoryLimit: number | undefined;
let pieceCacheHeld: number | undefined;

/** The configured memory limit (RENDER_MEMORY_LIMIT_BYTES); undefined falls back to the cgroup's. */
export function setMemoryLimit(bytes: number | undefined): void {
  configuredMemoryLimit = bytes;
}

type Instruments = ReturnType<typeof create>;
let current: Instruments | undefined;
let boundProvider: unknown;

/** The instruments on the current global meter provider, created once per provider. */
function instruments(): Instruments {
  // Re-create if the global provider changed (tests install their own provider per test file).
  const provider = metrics.getMeterProvider();
  if (!current || boundProvider !== provider) {
    current = create(metrics.getMeter(METER_NAME));
    boundProvider = provider;
    // Exemplars must describe the series the new provider reports, not the previous one's.
    resetExemplars();
  }
  return current;
}

/** Counts a job reaching `status`. */
export function recordJobStatus(status: JobStatus): void {
  instruments().jobs.add(1, { [METRIC_LABELS.STATUS]: status });
}

/** Records a finished job's processing time, with the active span as the bucket's exemplar. */
export function recordRenderDuration(status: 'completed' | 'failed', seconds: number): void {
  const attributes = { [METRIC_LABELS.STATUS]: status };
  instruments().duration.record(seconds, attributes);
  recordExemplar(METRIC_NAMES.duration, BUCKETS.renderDuration, attributes, seconds);
}

/**
 * Counts a failed attempt: a retried one in `render_retries_total`, a final one in
 * `render_errors_total`, so one failed job is one error whatever its number of attempts.
 */
export function recordError(category: ErrorCategory, retried: boolean): void {
  const i = instruments();
  (retried ? i.retries : i.errors).add(1, { [METRIC_LABELS.CATEGORY]: category });
}

/** Counts a deck refused at submit for its own input: what RenderClientBadDecks watches, per client. */
export function recordRejectedDeck(client: string): void {
  instruments().rejectedDecks.add(1, { [METRIC_LABELS.CLIENT]: client });
}

/** Records how long a job waited before an attempt started, with the active span as exemplar. */
export function recordQueueWait(seconds: number): void {
  const value = Math.max(0, seconds);
  instruments().queueWait.record(value);
  recordExemplar(METRIC_NAMES.queueWait, BUCKETS.queueWait, {}, value);
}

/** Records one stage's duration, with the active span as exemplar. */
export function recordStageDuration(stage: Stage, seconds: number): void {
  const attributes = { [METRIC_LABELS.STAGE]: stage };
  instruments().stageDuration.record(seconds, attributes);
  recordExemplar(METRIC_NAMES.stageDuration, BUCKETS.stageDuration, attributes, seconds);
}

/**
 * Records one HTTP server request (semantic conventions: http.request.method, http.route when a
 * route matched, http.response.status_code), with the request's span as the exemplar when it is
 * traced. `spanContext` is the request's span, taken when the request started.
 */
export function recordHttpServerRequest(
  method: string,
  route: string | undefined,
  statusCode: number,
  seconds: number,
  spanContext?: SpanContext,
): void {
  const attributes = (): Attributes => {
    const a: Attributes = { 'http.request.method': method, 'http.response.status_code': statusCode };
    if (route) a['http.route'] = route;
    return a;
  };
  const labels = instruments().httpServerBatch.record(`${method} ${statusCode} ${route ?? ''}`, attributes, seconds);
  // Only a request that was traced has an exemplar, on the label set the batch holds for it.
  if (spanContext && (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0)
    recordExemplar(HTTP_SERVER_DURATION, BUCKETS.httpServer, labels, seconds, spanContext);
}

/** Counts a progress write of a running job. */
export function recordProgressUpdate(): void {
  instruments().progressUpdates.add(1);
}

/** Marks a job starting (+1) or leaving (-1) processing in this process. */
export function recordInProgress(delta: 1 | -1): void {
  instruments().inProgress.add(delta);
}

/** Records FFmpeg's final speed (× real time) and the seconds of video produced. */
export function recordEncode(speedRatio: number | null, videoSeconds: number): void {
  const i = instruments();
  if (speedRatio !== null && Number.isFinite(speedRatio) && speedRatio > 0) i.encodeSpeed.record(speedRatio);
  i.outputSeconds.add(videoSeconds);
}

/** Adds the CPU seconds child processes used in `stage`. */
export function recordChildCpu(stage: Stage, seconds: number): void {
  if (seconds > 0 && Number.isFinite(seconds)) instruments().cpuSeconds.add(seconds, { [METRIC_LABELS.STAGE]: stage });
}

/** Adds the seconds of video one encode stage produced. */
export function recordOutputSeconds(seconds: number): void {
  if (seconds > 0 && Number.isFinite(seconds)) instruments().encodedSeconds.add(seconds);
}

/** Counts one piece cache lookup of a piece of `kind`. */
export function recordPieceLookup(kind: string, result: 'hit' | 'miss' | 'corrupt'): void {
  instruments().pieceCacheRequests.add(1, { [METRIC_LABELS.KIND]: kind, [METRIC_LABELS.RESULT]: result });
}

/** Records an eviction pass: what the cache holds after it and the bytes it evicted. */
export function recordPieceCacheSize(heldBytes: number, evictedBytes: number): void {
  pieceCacheHeld = heldBytes;
  if (evictedBytes > 0) instruments().pieceCacheEvicted.add(evictedBytes);
}

/** Counts a webhook delivery attempt's outcome. */
export function recordWebhook(event: string, outcome: 'delivered' | 'failed'): void {
  instruments().webhooks.add(1, { [METRIC_LABELS.EVENT]: event, [METRIC_LABELS.OUTCOME]: outcome });
}

/** Outcomes of a storage operation: `not_found` is an answer, not a failure (a deleted video). */
export type StorageOutcome = 'ok' | 'not_found' | 'error';

/** Records one storage operation's duration (`operation` is one of STORAGE_OPERATIONS). */
export function recordStorageOperation(operation: string, outcome: StorageOutcome, seconds: number): void {
  instruments().storageOperation.record(seconds, { [METRIC_LABELS.OPERATION]: operation, [METRIC_LABELS.OUTCOME]: outcome });
}

/**
 * Observes the queue from the process that owns the API (one per queue, not per worker), so rules
 * need no de-duplication across workers. `snapshot` is called once per collection.
 */
export function observeQueue(snapshot: () => Promise<QueueSnapshot>): () => void {
  const i = instruments();
  const observables: Observable[] = [i.queueSize, i.oldestAge, i.workersAlive];
  const callback = async (result: BatchObservableResult) => {
    try {
      const s = await snapshot();
      result.observe(i.queueSize, s.waiting, { [METRIC_LABELS.STATE]: 'waiting' });
      result.observe(i.queueSize, s.active, { [METRIC_LABELS.STATE]: 'active' });
      result.observe(i.queueSize, s.delayed, { [METRIC_LABELS.STATE]: 'delayed' });
      result.observe(i.oldestAge, s.oldestWaitingAgeSeconds);
      result.observe(i.workersAlive, s.workersAlive);
    } catch {
      // An unreachable backend yields no queue sample rather than a wrong zero; readiness reports the reason.
    }
  };
  const meter = metrics.getMeter(METER_NAME);
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}

/** Exposes this worker's last heartbeat time; `lastBeatMs` returns epoch ms or null before the first beat. */
export function observeHeartbeat(lastBeatMs: () => number | null): () => void {
  const i = instruments();
  const callback = (result: { observe(value: number, attributes?: Attributes): void }) => {
    const t = lastBeatMs();
    if (t !== null) result.observe(t / 1000);
  };
  i.heartbeat.addCallback(callback);
  return () => i.heartbeat.removeCallback(callback);
}

/** Exposes free bytes per volume (`data`, `scratch`); `freeBytes` returns null for a volume it cannot read. */
export function observeStorageFree(freeBytes: () => Record<string, number | null>): () => void {
  const i = instruments();
  const callback = (result: { observe(value: number, attributes?: Attributes): void }) => {
    for (const [volume, bytes] of Object.entries(freeBytes()))
      if (bytes !== null) result.observe(bytes, { [METRIC_LABELS.VOLUME]: volume });
  };
  i.storageFree.addCallback(callback);
  return () => i.storageFree.removeCallback(callback);
}
