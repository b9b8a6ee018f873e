import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { StorageConfigError, storageConfig, type StorageConfig } from './storage-config';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const optionalUrl = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v))
  .pipe(z.url().optional());
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v === 'true' || v === '1'));
/** `7d`, `36h`, `90m`, `45s`, `0` (off); bare numbers are seconds. */
const duration = z
  .string()
  .regex(/^(0|\d+(\.\d+)?[smhd]?)$/, 'must be a duration such as 7d, 36h, 90m or 0')
  .transform((v) => {
    const unit = v.at(-1) as string;
    const factor = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit];
    return factor ? Number(v.slice(0, -1)) * factor : Number(v) * 1000;
  });
/** `client:token` pairs; the client name becomes the job owner, so it is kept to a safe alphabet. */
const apiKeyList = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return undefined;
    const out: { client: string; token: string }[] = [];
    for (const pair of v.split(',')) {
      const parsed = parseApiKeyLine(pair.trim());
      if (!parsed) {
        ctx.addIssue({ code: 'custom', message: 'must be client:token pairs separated by commas (client: letters, digits, . _ -)' });
        return z.NEVER;
      }
      out.push(parsed);
    }
    return out;
  });

/** Every environment variable the services read, with its default. The README's table mirrors this list. */
const envSchema = z.object({
  PORT: int(0, 65535).default(3000),
  // Loopback unless told otherwise: a fresh install is never reachable from the network by accident.
  HOST: z.string().min(1).default('127.0.0.1'),
  RENDER_AUTH: z.enum(['keys', 'none']).optional(),
  RENDER_API_KEYS: apiKeyList,
  RENDER_API_KEYS_FILE: optionalSecret,
  RENDER_SUBMIT_RATE_PER_MINUTE: int(1, 1_000_000).default(60),
  RENDER_MAX_ACTIVE_JOBS_PER_CLIENT: int(1, 1_000_000).default(20),
  RENDER_MAX_QUEUED_JOBS: int(1, 10_000_000).default(1000),
  RENDER_ALLOW_PRIVATE_URLS: bool(false),
  RENDER_FETCH_CONNECT_TIMEOUT_MS: int(100, 120_000).default(10_000),
  RENDER_FETCH_JOB_MAX_BYTES: int(1024, 16 * 1024 * 1024 * 1024).default(512 * 1024 * 1024),
  RENDER_FETCH_JOB_TIMEOUT_MS: int(100, 3_600_000).default(300_000),
  RENDER_FETCH_CONCURRENCY: int(1, 32).default(4),
  RENDER_MAX_IMAGE_PIXELS: int(1, 1_000_000_000).default(40_000_000),
  RENDER_MAX_IMAGE_SIDE: int(16, 65_535).default(8192),
  RENDER_RETENTION: duration.default(7 * 86_400_000),
  RENDER_MIN_FREE_BYTES: int(0, Number.MAX_SAFE_INTEGER).default(1024 * 1024 * 1024),
  REDIS_URL: optionalUrl,
  RENDER_QUEUE_NAME: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/)
    .default('render'),
  RENDER_DATA_DIR: z.string().min(1).default('./data'),
  RENDER_OUTPUT_DIR: z.string().min(1).optional(),
  RENDER_CONCURRENCY: int(1, 64).default(1),
  RENDER_MAX_ATTEMPTS: int(1, 20).default(3),
  RENDER_BACKOFF_MS: int(0, 3_600_000).default(5000),
  RENDER_FETCH_TIMEOUT_MS: int(100, 600_000).default(30_000),
  RENDER_FETCH_MAX_BYTES: int(1024, 2 * 1024 * 1024 * 1024).default(100 * 1024 * 1024),
  RENDER_FETCH_MAX_REDIRECTS: int(0, 10).default(3),
  RENDER_TTS_TIMEOUT_MS: int(100, 600_000).default(60_000),
  RENDER_ENCODE_TIMEOUT_MS: int(1000, 6 * 3_600_000).default(2 * 3_600_000),
  RENDER_ENCODE_PARALLELISM: int(1, 64).optional(),
  // Bytes the render piece cache may hold (0: off); 2 GiB by default.
  RENDER_PIECE_CACHE_BYTES: int(0, Number.MAX_SAFE_INTEGER).default(2 * 1024 * 1024 * 1024),
  // Whose pieces a render may reuse: its own client's (default), or every client's (one trusted team).
  RENDER_PIECE_CACHE_SCOPE: z.enum(['client', 'shared']).default('client'),
  // Applied by instrumentation/read-sampler.ts (which cannot import this module); validated here so a bad value stops start-up.
  RENDER_TRACE_READ_RATIO: z.coerce.number().min(0).max(1).default(0.05),
  RENDER_STORE_TIMEOUT_MS: int(100, 600_000).default(60_000),
  RENDER_HEARTBEAT_MS: int(100, 600_000).default(10_000),
  RENDER_DRAIN_SECONDS: int(0, 24 * 3600).default(30),
  PUBLIC_URL: optionalUrl,
  ADMIN_TOKEN: optionalSecret,
  METRICS_TOKEN: optionalSecret,
  METRICS_PORT: int(0, 65535).default(9464),
  WEBHOOK_SECRET: optionalSecret,
  GRAFANA_URL: optionalUrl,
  GRAFANA_TEMPO_UID: z.string().default('tempo'),
  // The memory this process and its FFmpeg children may use (e.g. the container's limit); empty:
  // the cgroup's own limit where there is one. What RenderMemoryNearLimit compares against.
  RENDER_MEMORY_LIMIT_BYTES: z.preprocess((v) => (v === '' ? undefined : v), int(16 * 1024 * 1024, 2 ** 50).optional()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Object storage: RENDER_STORAGE_URL is parsed by storage-config.ts (file:///path or s3://bucket/prefix).
  RENDER_STORAGE_URL: optionalString,
  RENDER_S3_FORCE_PATH_STYLE: z.enum(['true', 'false', '1', '0', '']).default('false'),
  RENDER_S3_PUBLIC_ENDPOINT: optionalString,
  // S3 presigned URLs live at most 7 days.
  RENDER_OUTPUT_URL_TTL: int(1, 604_800).default(3600),
  // The standard AWS SDK variables (credentials stay with the SDK's own chain and never enter the config).
  AWS_ENDPOINT_URL_S3: optionalString,
  AWS_ENDPOINT_URL: optionalString,
  AWS_REGION: optionalString,
  AWS_DEFAULT_REGION: optionalString,
});

const SECRET_VARIABLES = new Set(['RENDER_API_KEYS', 'ADMIN_TOKEN', 'METRICS_TOKEN', 'WEBHOOK_SECRET']);

/** The services' configuration: read once at start-up, validated, frozen. */
export interface Config {
  port: number;
  host: string;
  redisUrl: string | undefined;
  queueName: string;
  dataDir: string;
  /** Where local videos go: RENDER_OUTPUT_DIR, else <data dir>/outputs, or the file:// storage URL's path. */
  outputDir: string;
  /** Where finished videos are stored (RENDER_STORAGE_URL; the local output dir when unset). */
  storage: Readonly<StorageConfig>;
  /** Lifetime of presigned output URLs (RENDER_OUTPUT_URL_TTL), seconds. */
  outputUrlTtlSeconds: number;
  concurrency: number;
  maxAttempts: number;
  backoffMs: number;
  fetch: {
    timeoutMs: number;
    maxBytes: number;
    maxRedirects: number;
    connectTimeoutMs: number;
    /** All of one job's assets together. */
    jobMaxBytes: number;
    jobTimeoutMs: number;
    concurrency: number;
    /** Off by default: loopback, private, link-local… addresses are refused for assets and webhooks. */
    allowPrivateUrls: boolean;
  };
  media: { maxImagePixels: number; maxImageSide: number };
  /** `none` only when RENDER_AUTH=none was given explicitly. */
  auth: 'keys' | 'none' | undefined;
  apiKeys: readonly { client: string; token: string }[] | undefined;
  apiKeysFile: string | undefined;
  limits: { submitPerMinute: number; maxActivePerClient: number; maxQueued: number };
  /** Milliseconds after which finished jobs are deleted; 0 keeps them forever. */
  retentionMs: number;
  minFreeBytes: number;
  timeouts: { tts: number; encode: number; store: number };
  /** FFmpeg runs one encode may start at once (RENDER_ENCODE_PARALLELISM, default: this machine's cores). */
  encodeParallelism: number;
  /** The render piece cache: bytes it may hold (0: off) and whose pieces a render may reuse. */
  pieceCache: { maxBytes: number; scope: 'client' | 'shared' };
  /** Share of status-poll, job-list and admin-page traces recorded at the head (RENDER_TRACE_READ_RATIO). */
  traceReadRatio: number;
  heartbeatMs: number;
  /** How long a stopping worker lets running attempts finish before handing them back (SIGTERM/SIGINT). */
  drainSeconds: number;
  publicUrl: string | undefined;
  adminToken: string | undefined;
  metricsToken: string | undefined;
  metricsPort: number;
  webhookSecret: string | undefined;
  grafanaUrl: string | undefined;
  grafanaTempoUid: string;
  memoryLimitBytes: number | undefined;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
}

/** A bad environment value; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0]);
      // Secrets are named, never echoed: start-up output ends up in logs.
      const got = SECRET_VARIABLES.has(name) ? '(value hidden)' : `(got ${JSON.stringify(env[name])})`;
      return `${i.path.join('.')}: ${i.message} ${got}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.RENDER_DATA_DIR);
  let storage: StorageConfig;
  try {
    storage = storageConfig({
      storageUrl: e.RENDER_STORAGE_URL,
      defaultDir: path.resolve(e.RENDER_OUTPUT_DIR ?? path.join(dataDir, 'outputs')),
      endpointS3: e.AWS_ENDPOINT_URL_S3,
      endpoint: e.AWS_ENDPOINT_URL,
      publicEndpoint: e.RENDER_S3_PUBLIC_ENDPOINT,
      region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION,
      forcePathStyle: e.RENDER_S3_FORCE_PATH_STYLE === 'true' || e.RENDER_S3_FORCE_PATH_STYLE === '1',
    });
  } catch (err) {
    if (err instanceof StorageConfigError) throw new ConfigError(`invalid configuration:\n  ${err.message}`);
    throw err;
  }
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL,
    queueName: e.RENDER_QUEUE_NAME,
    dataDir,
    outputDir: storage.kind === 'local' ? storage.dir : path.resolve(e.RENDER_OUTPUT_DIR ?? path.join(dataDir, 'outputs')),
    storage: Object.freeze(storage),
    outputUrlTtlSeconds: e.RENDER_OUTPUT_URL_TTL,
    concurrency: e.RENDER_CONCURRENCY,
    maxAttempts: e.RENDER_MAX_ATTEMPTS,
    backoffMs: e.RENDER_BACKOFF_MS,
    fetch: Object.freeze({
      timeoutMs: e.RENDER_FETCH_TIMEOUT_MS,
      maxBytes: e.RENDER_FETCH_MAX_BYTES,
      maxRedirects: e.RENDER_FETCH_MAX_REDIRECTS,
      connectTimeoutMs: e.RENDER_FETCH_CONNECT_TIMEOUT_MS,
      jobMaxBytes: e.RENDER_FETCH_JOB_MAX_BYTES,
      jobTimeoutMs: e.RENDER_FETCH_JOB_TIMEOUT_MS,
      concurrency: e.RENDER_FETCH_CONCURRENCY,
      allowPrivateUrls: e.RENDER_ALLOW_PRIVATE_URLS,
    }),
    media: Object.freeze({ maxImagePixels: e.RENDER_MAX_IMAGE_PIXELS, maxImageSide: e.RENDER_MAX_IMAGE_SIDE }),
    auth: e.RENDER_AUTH,
    apiKeys: e.RENDER_API_KEYS ? Object.freeze(e.RENDER_API_KEYS.map((k) => Object.freeze(k))) : undefined,
    apiKeysFile: e.RENDER_API_KEYS_FILE,
    limits: Object.freeze({
      submitPerMinute: e.RENDER_SUBMIT_RATE_PER_MINUTE,
      maxActivePerClient: e.RENDER_MAX_ACTIVE_JOBS_PER_CLIENT,
      maxQueued: e.RENDER_MAX_QUEUED_JOBS,
    }),
    retentionMs: e.RENDER_RETENTION,
    minFreeBytes: e.RENDER_MIN_FREE_BYTES,
    timeouts: Object.freeze({ tts: e.RENDER_TTS_TIMEOUT_MS, encode: e.RENDER_ENCODE_TIMEOUT_MS, store: e.RENDER_STORE_TIMEOUT_MS }),
    encodeParallelism: e.RENDER_ENCODE_PARALLELISM ?? os.availableParallelism(),
    pieceCache: Object.freeze({ maxBytes: e.RENDER_PIECE_CACHE_BYTES, scope: e.RENDER_PIECE_CACHE_SCOPE }),
    traceReadRatio: e.RENDER_TRACE_READ_RATIO,
    heartbeatMs: e.RENDER_HEARTBEAT_MS,
    drainSeconds: e.RENDER_DRAIN_SECONDS,
    publicUrl: e.PUBLIC_URL,
    adminToken: e.ADMIN_TOKEN,
    metricsToken: e.METRICS_TOKEN,
    metricsPort: e.METRICS_PORT,
    webhookSecret: e.WEBHOOK_SECRET,
    grafanaUrl: e.GRAFANA_URL,
    grafanaTempoUid: e.GRAFANA_TEMPO_UID,
    memoryLimitBytes: e.RENDER_MEMORY_LIMIT_BYTES,
    logLevel: e.LOG_LEVEL,
  });
}

/** Client names: what job records store as their owner. */
export const CLIENT_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Parses one `client:token` entry (a keys-file line or one pair of RENDER_API_KEYS); null when malformed. */
export function parseApiKeyLine(line: string): { client: string; token: string } | null {
  const colon = line.indexOf(':');
  if (colon <= 0) return null;
  const client = line.slice(0, colon).trim();
  const token = line.slice(colon + 1).trim();
  if (!CLIENT_NAME.test(client) || token.length === 0) return null;
  return { client, token };
}
