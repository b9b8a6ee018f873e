/**
 * Attribute names: OpenTelemetry semantic conventions where one exists, and the `render.*`
 * namespace for ours. Stable conventions come from @opentelemetry/semantic-conventions' constants;
 * `messaging.*` is still incubating, and the package asks runtime code not to import its
 * `/incubating` entry point (it may break in a minor release) but to copy the definitions, so they
 * are copied below (attributes.test.ts checks the copies against that entry point). Job ids and
 * other high-cardinality values go on spans and logs only; metric labels use the short fixed-set
 * keys in `METRIC_LABELS`.
 */
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_RPC_METHOD,
  ATTR_SERVER_ADDRESS,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';

/** Incubating names (`messaging.*`, the S3 call attributes), copied from @opentelemetry/semantic-conventions/incubating (1.45.0). */
export const INCUBATING = Object.freeze({
  MESSAGING_SYSTEM: 'messaging.system',
  MESSAGING_DESTINATION_NAME: 'messaging.destination.name',
  MESSAGING_OPERATION_TYPE: 'messaging.operation.type',
  MESSAGING_OPERATION_NAME: 'messaging.operation.name',
  MESSAGING_MESSAGE_ID: 'messaging.message.id',
  // The AWS SDK semantic conventions for S3 calls (rpc.* and aws.s3.*) and cloud.region, still incubating.
  RPC_SYSTEM: 'rpc.system',
  RPC_SERVICE: 'rpc.service',
  AWS_S3_BUCKET: 'aws.s3.bucket',
  AWS_S3_KEY: 'aws.s3.key',
  CLOUD_REGION: 'cloud.region',
});

export const ATTR = Object.freeze({
  ...INCUBATING,
  ERROR_TYPE: ATTR_ERROR_TYPE,
  HTTP_REQUEST_METHOD: ATTR_HTTP_REQUEST_METHOD,
  HTTP_RESPONSE_STATUS_CODE: ATTR_HTTP_RESPONSE_STATUS_CODE,
  URL_FULL: ATTR_URL_FULL,
  RPC_METHOD: ATTR_RPC_METHOD,
  SERVER_ADDRESS: ATTR_SERVER_ADDRESS,
  RENDER_STORAGE_KIND: 'render.storage.kind',
  RENDER_STORAGE_OPERATION: 'render.storage.operation',
  RENDER_STORAGE_CONTAINER: 'render.storage.container',
  RENDER_STORAGE_KEY: 'render.storage.key',
  RENDER_JOB_ID: 'render.job.id',
  RENDER_JOB_ATTEMPT: 'render.job.attempt',
  RENDER_JOB_MAX_ATTEMPTS: 'render.job.max_attempts',
  RENDER_JOB_STATUS: 'render.job.status',
  RENDER_JOB_SLIDES: 'render.job.slides',
  RENDER_JOB_WIDTH: 'render.job.width',
  RENDER_JOB_HEIGHT: 'render.job.height',
  RENDER_JOB_FPS: 'render.job.fps',
  RENDER_JOB_QUALITY: 'render.job.quality',
  RENDER_QUEUE_WAIT_SECONDS: 'render.queue.wait_seconds',
  RENDER_STAGE: 'render.stage',
  RENDER_SLIDE_INDEX: 'render.slide.index',
  /** The encode span: pieces the join uses (static pieces, WAVs, fades), how many came from the piece cache, and FFmpeg piece runs. */
  RENDER_PIECES_TOTAL: 'render.pieces.total',
  RENDER_PIECES_REUSED: 'render.pieces.reused',
  RENDER_PIECES_ENCODER_RUNS: 'render.pieces.encoder_runs',
  /** True when the joined AAC audio track came from the piece cache. */
  RENDER_PIECES_TRACK_REUSED: 'render.pieces.track_reused',
  /** A split job: its chunk count (the attempt's span), and on a chunk's span its first slide, slides, the worker that ran it and its wait on the chunk queue. */
  RENDER_SPLIT_CHUNKS: 'render.split.chunks',
  /** True on the run that joins a split job once its chunks are done. */
  RENDER_SPLIT_RESUMED: 'render.split.resumed',
  RENDER_CHUNK_FIRST: 'render.chunk.first_slide',
  RENDER_CHUNK_SLIDES: 'render.chunk.slides',
  RENDER_CHUNK_WORKER: 'render.chunk.worker',
  RENDER_CHUNK_QUEUE_WAIT_SECONDS: 'render.chunk.queue_wait_seconds',
  RENDER_ASSET_KIND: 'render.asset.kind',
  RENDER_ASSET_BYTES: 'render.asset.bytes',
  RENDER_ERROR_CATEGORY: 'render.error.category',
  RENDER_ERROR_RETRYABLE: 'render.error.retryable',
  RENDER_RETRY_DELAY_MS: 'render.retry.delay_ms',
  RENDER_FFMPEG_EXIT_CODE: 'render.ffmpeg.exit_code',
  RENDER_FFMPEG_SPEED: 'render.ffmpeg.speed',
  RENDER_OUTPUT_DURATION_SECONDS: 'render.output.duration_seconds',
  RENDER_OUTPUT_BYTES: 'render.output.bytes',
  RENDER_WEBHOOK_EVENT: 'render.webhook.event',
  RENDER_WEBHOOK_ATTEMPT: 'render.webhook.attempt',
});

/** Span event names. */
export const EVENTS = Object.freeze({
  JOB_CANCELLED: 'render.job.cancelled',
  JOB_RETRY_SCHEDULED: 'render.job.retry_scheduled',
  FFMPEG_PROGRESS: 'render.ffmpeg.progress',
});

/** Metric label keys: the names users already query (`status`, `category`, …). */
export const METRIC_LABELS = Object.freeze({
  STATUS: 'status',
  CATEGORY: 'category',
  STATE: 'state',
  TYPE: 'type',
  STAGE: 'stage',
  EVENT: 'event',
  OUTCOME: 'outcome',
  OPERATION: 'operation',
  SIGNAL: 'signal',
  VOLUME: 'volume',
  /** The API key's client name: as many values as configured keys (one, `anonymous`, without keys). */
  CLIENT: 'client',
  KIND: 'kind',
  RESULT: 'result',
});
