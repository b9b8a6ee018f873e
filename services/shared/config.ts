import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { StorageConfigError, storageConfig } from './storage-config';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
// An empty (or blank) secret counts as unset: `ADMIN_TOKEN=` in an env file must not read as a token.
const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));
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

/** How the README shows a variable: its default as users read it and what it does (`scripts/readme-tables.ts`). */
export interface VariableDoc {
  /** The default as the README shows it; `—` for none. */
  shown: string;
  doc: string;
  /** Documented in another variable's row (e.g. AWS_ENDPOINT_URL under AWS_ENDPOINT_URL_S3). */
  with?: string;
  /** Secrets are named, never echoed, in start-up errors. */
  secret?: boolean;
}

/** A variable's schema with its README row attached (zod metadata). */
function v<T extends z.ZodType>(schema: T, doc: VariableDoc): T {
  return schema.meta({ readme: doc });
}

/**
 * Every environment variable the services read: its parser, its default and its README row. The
 * config's type is what `configSchema` makes of it (`z.output`), and the README's variable table is
 * generated from it (`make readme`), so neither is written a second time.
 */
const envSchema = z.object({
  PORT: v(int(0, 65535).default(3000), { shown: '`3000`', doc: 'API port' }),
  // Loopback unless told otherwise: a fresh install is never reachable from the network by accident.
  HOST: v(z.string().min(1).default('127.0.0.1'), {
    shown: '`127.0.0.1`',
    doc: "bind address of the API and of a worker's metrics server; a non-loopback `HOST` for the API needs API keys (or `RENDER_AUTH=none`) and `ADMIN_TOKEN`",
  }),
  RENDER_API_KEYS: v(apiKeyList, {
    shown: '—',
    doc: '`client:token,client:token`: every `/api/jobs*` request needs `Authorization: Bearer <token>`; jobs belong to their client; needs `ADMIN_TOKEN` too',
    secret: true,
  }),
  RENDER_API_KEYS_FILE: v(optionalSecret, {
    shown: '—',
    doc: "a file of `client:token` lines (`#` comments; `client:sha256:<hex>` holds the token's SHA-256 instead); re-read when it changes",
  }),
  RENDER_AUTH: v(z.enum(['keys', 'none']).optional(), {
    shown: '—',
    doc: '`none`: serve the jobs API on a non-loopback `HOST` without keys, on purpose (the admin page still needs `ADMIN_TOKEN`)',
  }),
  RENDER_SUBMIT_RATE_PER_MINUTE: v(int(1, 1_000_000).default(60), {
    shown: '`60`',
    doc: 'submissions per client per minute (per API process); 429 `RATE_LIMITED` beyond',
  }),
  RENDER_MAX_ACTIVE_JOBS_PER_CLIENT: v(int(1, 1_000_000).default(20), {
    shown: '`20`',
    doc: "a client's jobs queued or running at once; 429 `TOO_MANY_ACTIVE_JOBS` beyond",
  }),
  RENDER_MAX_QUEUED_JOBS: v(int(1, 10_000_000).default(1000), {
    shown: '`1000`',
    doc: 'waiting jobs in the whole queue; 503 `QUEUE_FULL` beyond',
  }),
  RENDER_ALLOW_PRIVATE_URLS: v(bool(false), {
    shown: '`false`',
    doc: '`true` lets assets and webhooks reach loopback, private and link-local addresses (tests, `examples/`)',
  }),
  RENDER_FETCH_CONNECT_TIMEOUT_MS: v(int(100, 120_000).default(10_000), {
    shown: '`10000`',
    doc: 'name resolution + TCP/TLS connect, per connection',
  }),
  RENDER_FETCH_JOB_MAX_BYTES: v(int(1024, 16 * 1024 * 1024 * 1024).default(512 * 1024 * 1024), {
    shown: '`536870912`',
    doc: "all of one job's assets together",
  }),
  RENDER_FETCH_JOB_TIMEOUT_MS: v(int(100, 3_600_000).default(300_000), { shown: '`300000`', doc: "all of one job's downloads together" }),
  RENDER_FETCH_CONCURRENCY: v(int(1, 32).default(4), { shown: '`4`', doc: "a job's downloads in parallel" }),
  RENDER_MAX_IMAGE_PIXELS: v(int(1, 1_000_000_000).default(40_000_000), {
    shown: '`40000000`',
    doc: 'largest image accepted (pixels), checked before decoding',
  }),
  RENDER_MAX_IMAGE_SIDE: v(int(16, 65_535).default(8192), { shown: '`8192`', doc: 'largest image width or height accepted' }),
  RENDER_RETENTION: v(duration.default(7 * 86_400_000), {
    shown: '`7d`',
    doc: 'finished jobs (record and video) are deleted this long after they finished (`36h`, `90m`…; `0` keeps them)',
  }),
  RENDER_MIN_FREE_BYTES: v(int(0, Number.MAX_SAFE_INTEGER).default(1024 * 1024 * 1024), {
    shown: '`1073741824`',
    doc: 'a worker starts no job while its data or scratch volume has less free space (the job waits, `queued`)',
  }),
  REDIS_URL: v(optionalUrl, { shown: '—', doc: 'BullMQ on Redis instead of the embedded queue' }),
  RENDER_QUEUE_NAME: v(
    z
      .string()
      .regex(/^[a-z0-9-]{1,64}$/)
      .default('render'),
    { shown: '`render`', doc: 'queue name (`messaging.destination.name`)' },
  ),
  RENDER_DATA_DIR: v(z.string().min(1).default('./data'), { shown: '`./data`', doc: 'SQLite database and scratch files (embedded mode)' }),
  RENDER_OUTPUT_DIR: v(z.string().min(1).optional(), {
    shown: '`$RENDER_DATA_DIR/outputs`',
    doc: 'where MP4s are stored when `RENDER_STORAGE_URL` is unset',
  }),
  // Object storage: RENDER_STORAGE_URL is parsed by storage-config.ts (file:///path or s3://bucket/prefix).
  RENDER_STORAGE_URL: v(optionalString, {
    shown: '— (the folder above)',
    doc: '`file:///absolute/path` (a folder) or `s3://bucket/prefix` (S3-compatible storage)',
  }),
  RENDER_S3_FORCE_PATH_STYLE: v(z.enum(['true', 'false', '1', '0', '']).default('false'), {
    shown: '`false`',
    doc: '`true` for MinIO-style servers (`http://host/bucket/key` rather than `bucket.host`)',
  }),
  RENDER_S3_PUBLIC_ENDPOINT: v(optionalString, {
    shown: '—',
    doc: "the store's address as clients see it; presigned URLs are signed for it",
  }),
  // S3 presigned URLs live at most 7 days.
  RENDER_OUTPUT_URL_TTL: v(int(1, 604_800).default(3600), {
    shown: '`3600`',
    doc: 'lifetime of presigned output URLs, seconds (1–604800)',
  }),
  // The standard AWS SDK variables (credentials stay with the SDK's own chain and never enter the config).
  AWS_ENDPOINT_URL_S3: v(optionalString, { shown: '—', doc: 'S3 endpoint (else `AWS_ENDPOINT_URL`; unset: AWS itself)' }),
  AWS_ENDPOINT_URL: v(optionalString, { shown: '—', doc: 'S3 endpoint when `AWS_ENDPOINT_URL_S3` is unset', with: 'AWS_ENDPOINT_URL_S3' }),
  AWS_REGION: v(optionalString, {
    shown: '— (`us-east-1` with an endpoint)',
    doc: "region (else `AWS_DEFAULT_REGION`, else the SDK's chain)",
  }),
  AWS_DEFAULT_REGION: v(optionalString, { shown: '—', doc: 'region when `AWS_REGION` is unset', with: 'AWS_REGION' }),
  RENDER_CONCURRENCY: v(int(1, 64).default(1), { shown: '`1`', doc: 'jobs a worker runs at once' }),
  RENDER_MAX_ATTEMPTS: v(int(1, 20).default(3), { shown: '`3`', doc: 'attempts per job for retryable failures' }),
  RENDER_BACKOFF_MS: v(int(0, 3_600_000).default(5000), { shown: '`5000`', doc: 'first retry delay; doubles each attempt' }),
  RENDER_FETCH_TIMEOUT_MS: v(int(100, 600_000).default(30_000), { shown: '`30000`', doc: 'per-asset download timeout' }),
  RENDER_FETCH_MAX_BYTES: v(int(1024, 2 * 1024 * 1024 * 1024).default(100 * 1024 * 1024), {
    shown: '`104857600`',
    doc: 'per-asset size cap',
  }),
  RENDER_FETCH_MAX_REDIRECTS: v(int(0, 10).default(3), { shown: '`3`', doc: 'redirects followed per asset' }),
  RENDER_TTS_TIMEOUT_MS: v(int(100, 600_000).default(60_000), { shown: '`60000`', doc: 'narration stage timeout' }),
  RENDER_ENCODE_TIMEOUT_MS: v(int(1000, 6 * 3_600_000).default(2 * 3_600_000), { shown: '`7200000`', doc: 'encode stage timeout' }),
  RENDER_ENCODE_PARALLELISM: v(int(1, 64).optional(), {
    shown: "the machine's cores",
    doc: 'FFmpeg runs one encode starts at once (fewer when that many 1080p encodes would not fit in half the memory limit)',
  }),
  // Bytes the render piece cache may hold (0: off); 2 GiB by default.
  RENDER_PIECE_CACHE_BYTES: v(int(0, Number.MAX_SAFE_INTEGER).default(2 * 1024 * 1024 * 1024), {
    shown: '`2147483648`',
    doc: "bytes the render piece cache may hold under the storage's cache prefix (`0`: off); least recently used pieces go first",
  }),
  // Whose pieces a render may reuse: its own client's (default), or every client's (one trusted team).
  RENDER_PIECE_CACHE_SCOPE: v(z.enum(['client', 'shared']).default('client'), {
    shown: '`client`',
    doc: "`client`: a client's render pieces are reused only by that client; `shared`: by every client (one trusted team)",
  }),
  // A deck this long (Redis layout) is split into chunks of pieces that any worker can encode.
  RENDER_SPLIT_MIN_SLIDES: v(int(2, 100_000).default(40), {
    shown: '`40`',
    doc: 'Redis layout: a deck of at least this many slides is encoded in chunks any worker takes (queue `<RENDER_QUEUE_NAME>-chunks`), then joined',
  }),
  RENDER_SPLIT_CHUNK_SLIDES: v(int(1, 100_000).default(10), {
    shown: '`10`',
    doc: 'slides per chunk of a split deck',
  }),
  // Applied by instrumentation/read-sampler.ts (which cannot import this module); validated here so a bad value stops start-up.
  RENDER_TRACE_READ_RATIO: v(z.coerce.number().min(0).max(1).default(0.05), {
    shown: '`0.05`',
    doc: 'share of status polls, job lists and admin-page views traced at the head (0–1; 1 traces all)',
  }),
  RENDER_STORE_TIMEOUT_MS: v(int(100, 600_000).default(60_000), {
    shown: '`60000`',
    doc: 'store stage timeout: verifying the video and uploading it (raise it for large S3 uploads)',
  }),
  RENDER_HEARTBEAT_MS: v(int(100, 600_000).default(10_000), { shown: '`10000`', doc: 'worker heartbeat interval' }),
  RENDER_DRAIN_SECONDS: v(int(0, 24 * 3600).default(30), {
    shown: '`30`',
    doc: 'on SIGTERM/SIGINT, how long running jobs may finish before they are handed back',
  }),
  RENDER_HTTP_HEADERS_TIMEOUT_SECONDS: v(int(1, 600).default(10), {
    shown: '`10`',
    doc: "the API's bound on receiving a request's headers; then `408 REQUEST_TIMEOUT` and the connection closed",
  }),
  RENDER_HTTP_REQUEST_TIMEOUT_SECONDS: v(int(1, 3600).default(30), {
    shown: '`30`',
    doc: "the API's bound on receiving a whole request (headers and body); then `408 REQUEST_TIMEOUT` and the connection closed",
  }),
  RENDER_HTTP_KEEPALIVE_SECONDS: v(int(1, 600).default(5), {
    shown: '`5`',
    doc: 'how long the API keeps an idle keep-alive connection open',
  }),
  PUBLIC_URL: v(optionalUrl, { shown: '—', doc: 'external base URL of the API; makes `output.url` in jobs and webhooks absolute' }),
  ADMIN_TOKEN: v(optionalSecret, {
    shown: '—',
    doc: 'protects `/api/admin/summary` and `/admin/metrics`; required (protected mode) with API keys or a non-loopback `HOST`',
    secret: true,
  }),
  METRICS_TOKEN: v(optionalSecret, { shown: '—', doc: "protects `/api/metrics` and the workers' `/metrics`", secret: true }),
  METRICS_PORT: v(int(0, 65535).default(9464), { shown: '`9464`', doc: "a separate worker's metrics port" }),
  WEBHOOK_SECRET: v(optionalSecret, { shown: '—', doc: 'HMAC-SHA256 key for webhook signatures', secret: true }),
  GRAFANA_URL: v(optionalUrl, {
    shown: '—',
    doc: 'links from the fallback page to Grafana and Tempo (docker-compose also gives it to Alertmanager for the links in Slack)',
  }),
  // The memory this process and its FFmpeg children may use (e.g. the container's limit); empty:
  // the cgroup's own limit where there is one. What RenderMemoryNearLimit compares against.
  RENDER_MEMORY_LIMIT_BYTES: v(
    z.preprocess((x) => (x === '' ? undefined : x), int(16 * 1024 * 1024, 2 ** 50).optional()),
    {
      shown: "— (the cgroup's `memory.max`)",
      doc: 'memory this process and its FFmpeg children may use; what `RenderMemoryNearLimit` compares against',
    },
  ),
  GRAFANA_TEMPO_UID: v(z.string().default('tempo'), { shown: '`tempo`', doc: 'the Tempo datasource UID in those links' }),
  LOG_LEVEL: v(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), {
    shown: '`info`',
    doc: 'pino level',
  }),
});

type Env = z.output<typeof envSchema>;

/** Variables the README lists that something other than this schema reads (the AWS SDK, the logger, the CLI), placed after a schema variable. */
const READ_ELSEWHERE: { names: string[]; after: keyof Env; shown: string; doc: string }[] = [
  {
    names: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
    after: 'AWS_DEFAULT_REGION',
    shown: '—',
    doc: 'S3 credentials, read by the AWS SDK itself (or its default credential chain)',
  },
  {
    names: ['LOG_FORMAT'],
    after: 'LOG_LEVEL',
    shown: '`pretty` on a terminal, else `json`',
    doc: '`json` (one JSON object a line, for log shippers) or `pretty` (pino-pretty, for people)',
  },
  { names: ['RENDER_API_URL'], after: 'LOG_LEVEL', shown: '`http://localhost:3000`', doc: "the CLI's API" },
  { names: ['RENDER_API_TOKEN'], after: 'LOG_LEVEL', shown: '—', doc: "the CLI's API key (`--token`)" },
];

/** A variable's README row from its schema metadata. */
function docOf(name: keyof Env): VariableDoc {
  const meta = envSchema.shape[name].meta() as { readme?: VariableDoc } | undefined;
  if (!meta?.readme) throw new Error(`${name} has no README row in the config schema`);
  return meta.readme;
}

/** The README's variable table, row by row, in schema order (what `make readme` writes). */
export const CONFIG_VARIABLES: readonly { names: string[]; shownDefault: string; doc: string }[] = (() => {
  const rows: { names: string[]; shownDefault: string; doc: string }[] = [];
  for (const name of Object.keys(envSchema.shape) as (keyof Env)[]) {
    const d = docOf(name);
    if (!d.with) rows.push({ names: [name], shownDefault: d.shown, doc: d.doc });
    for (const extra of READ_ELSEWHERE.filter((e) => e.after === name))
      rows.push({ names: extra.names, shownDefault: extra.shown, doc: extra.doc });
  }
  return rows;
})();

const SECRET_VARIABLES = new Set((Object.keys(envSchema.shape) as (keyof Env)[]).filter((n) => docOf(n).secret));

/**
 * The environment as the services use it, in slices: what a stage or an adapter needs is one of
 * these (or a `Pick` of the top level), never the whole object. The one mapping from variables.
 */
const configSchema = envSchema.transform((e, ctx) => {
  const dataDir = path.resolve(e.RENDER_DATA_DIR);
  const defaultOutputDir = path.resolve(e.RENDER_OUTPUT_DIR ?? path.join(dataDir, 'outputs'));
  let storage: ReturnType<typeof storageConfig>;
  try {
    storage = storageConfig({
      storageUrl: e.RENDER_STORAGE_URL,
      defaultDir: defaultOutputDir,
      endpointS3: e.AWS_ENDPOINT_URL_S3,
      endpoint: e.AWS_ENDPOINT_URL,
      publicEndpoint: e.RENDER_S3_PUBLIC_ENDPOINT,
      region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION,
      forcePathStyle: e.RENDER_S3_FORCE_PATH_STYLE === 'true' || e.RENDER_S3_FORCE_PATH_STYLE === '1',
    });
  } catch (err) {
    if (!(err instanceof StorageConfigError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message, path: [] });
    return z.NEVER;
  }
  return {
    port: e.PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL,
    queueName: e.RENDER_QUEUE_NAME,
    dataDir,
    /** Where local videos go: RENDER_OUTPUT_DIR, else <data dir>/outputs, or the file:// storage URL's path. */
    outputDir: storage.kind === 'local' ? storage.dir : defaultOutputDir,
    /** Where finished videos are stored (RENDER_STORAGE_URL; the local output dir when unset). */
    storage,
    /** Lifetime of presigned output URLs (RENDER_OUTPUT_URL_TTL), seconds. */
    outputUrlTtlSeconds: e.RENDER_OUTPUT_URL_TTL,
    concurrency: e.RENDER_CONCURRENCY,
    maxAttempts: e.RENDER_MAX_ATTEMPTS,
    backoffMs: e.RENDER_BACKOFF_MS,
    fetch: {
      timeoutMs: e.RENDER_FETCH_TIMEOUT_MS,
      maxBytes: e.RENDER_FETCH_MAX_BYTES,
      maxRedirects: e.RENDER_FETCH_MAX_REDIRECTS,
      connectTimeoutMs: e.RENDER_FETCH_CONNECT_TIMEOUT_MS,
      /** All of one job's assets together. */
      jobMaxBytes: e.RENDER_FETCH_JOB_MAX_BYTES,
      jobTimeoutMs: e.RENDER_FETCH_JOB_TIMEOUT_MS,
      concurrency: e.RENDER_FETCH_CONCURRENCY,
      /** Off by default: loopback, private, link-local… addresses are refused for assets and webhooks. */
      allowPrivateUrls: e.RENDER_ALLOW_PRIVATE_URLS,
    },
    media: { maxImagePixels: e.RENDER_MAX_IMAGE_PIXELS, maxImageSide: e.RENDER_MAX_IMAGE_SIDE },
    /** `none` only when RENDER_AUTH=none was given explicitly. */
    auth: e.RENDER_AUTH,
    apiKeys: e.RENDER_API_KEYS as readonly { readonly client: string; readonly token: string }[] | undefined,
    apiKeysFile: e.RENDER_API_KEYS_FILE,
    limits: {
      submitPerMinute: e.RENDER_SUBMIT_RATE_PER_MINUTE,
      maxActivePerClient: e.RENDER_MAX_ACTIVE_JOBS_PER_CLIENT,
      maxQueued: e.RENDER_MAX_QUEUED_JOBS,
    },
    /** Milliseconds after which finished jobs are deleted; 0 keeps them forever. */
    retentionMs: e.RENDER_RETENTION,
    minFreeBytes: e.RENDER_MIN_FREE_BYTES,
    timeouts: { tts: e.RENDER_TTS_TIMEOUT_MS, encode: e.RENDER_ENCODE_TIMEOUT_MS, store: e.RENDER_STORE_TIMEOUT_MS },
    /** FFmpeg runs one encode may start at once (RENDER_ENCODE_PARALLELISM, default: this machine's cores). */
    encodeParallelism: e.RENDER_ENCODE_PARALLELISM ?? os.availableParallelism(),
    pieceCache: Object.freeze({ maxBytes: e.RENDER_PIECE_CACHE_BYTES, scope: e.RENDER_PIECE_CACHE_SCOPE }),
    /** Decks split into chunks across workers (Redis layout; needs the piece cache on). */
    split: { minSlides: e.RENDER_SPLIT_MIN_SLIDES, chunkSlides: e.RENDER_SPLIT_CHUNK_SLIDES },
    /** Share of status-poll, job-list and admin-page traces recorded at the head (RENDER_TRACE_READ_RATIO). */
    traceReadRatio: e.RENDER_TRACE_READ_RATIO,
    heartbeatMs: e.RENDER_HEARTBEAT_MS,
    /** How long a stopping worker lets running attempts finish before handing them back (SIGTERM/SIGINT). */
    drainSeconds: e.RENDER_DRAIN_SECONDS,
    /** The API server's bounds on a request (seconds); the headers' bound never exceeds the whole request's. */
    http: {
      headersTimeoutSeconds: Math.min(e.RENDER_HTTP_HEADERS_TIMEOUT_SECONDS, e.RENDER_HTTP_REQUEST_TIMEOUT_SECONDS),
      requestTimeoutSeconds: e.RENDER_HTTP_REQUEST_TIMEOUT_SECONDS,
      keepAliveSeconds: e.RENDER_HTTP_KEEPALIVE_SECONDS,
    },
    publicUrl: e.PUBLIC_URL,
    adminToken: e.ADMIN_TOKEN,
    metricsToken: e.METRICS_TOKEN,
    metricsPort: e.METRICS_PORT,
    webhookSecret: e.WEBHOOK_SECRET,
    grafanaUrl: e.GRAFANA_URL,
    grafanaTempoUid: e.GRAFANA_TEMPO_UID,
    memoryLimitBytes: e.RENDER_MEMORY_LIMIT_BYTES,
    logLevel: e.LOG_LEVEL,
  };
});

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The services' configuration: read once at start-up, validated, frozen. Its type is the schema's output. */
export type Config = DeepReadonly<z.output<typeof configSchema>>;

// The slices stages and adapters receive (each a part of Config, so the whole config is assignable to it).
/** Asset downloads: timeouts, caps, redirects, the private-address switch. */
export type FetchConfig = Config['fetch'];
/** Image caps checked before decoding. */
export type MediaConfig = Config['media'];
/** Per-client and whole-queue submission limits. */
export type LimitsConfig = Config['limits'];
/** Stage time limits. */
export type TimeoutsConfig = Config['timeouts'];
/** What opening a queue backend reads. */
export type QueueConfig = Pick<Config, 'redisUrl' | 'queueName' | 'dataDir'>;
/** What the pipeline stages read (StageContext.config). */
export type StageConfig = Pick<
  Config,
  'fetch' | 'media' | 'timeouts' | 'encodeParallelism' | 'memoryLimitBytes' | 'publicUrl' | 'pieceCache' | 'minFreeBytes'
>;
/** What a worker's metrics/health server reads. */
export type MetricsServerConfig = Pick<Config, 'host' | 'metricsPort' | 'metricsToken' | 'heartbeatMs'>;
/** What the admin page reads besides auth. */
export type AdminPageConfig = Pick<Config, 'heartbeatMs' | 'grafanaUrl' | 'grafanaTempoUid'>;

/** A bad environment value; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      if (i.path.length === 0) return i.message;
      const name = String(i.path[0]);
      // Secrets are named, never echoed: start-up output ends up in logs.
      const got = SECRET_VARIABLES.has(name as keyof Env) ? '(value hidden)' : `(got ${JSON.stringify(env[name])})`;
      return `${i.path.join('.')}: ${i.message} ${got}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return deepFreeze(parsed.data) as Config;
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
