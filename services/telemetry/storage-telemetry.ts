/**
 * Telemetry for the video storage, as a wrapper around any adapter: one span per operation (CLIENT
 * with the AWS SDK semantic conventions — rpc.system `aws-api`, rpc.service `S3`, rpc.method,
 * aws.s3.bucket, aws.s3.key — for object storage; INTERNAL for the local directory) and
 * `render_storage_operation_duration_seconds{operation, outcome}`. A read is timed until its
 * stream ends, since that is when the bytes have been served. Our own span rather than the AWS SDK
 * instrumentation: it is one span per logical operation (a multipart upload included), it works
 * for both adapters, and it keeps the SDK's middleware-level spans out of the lean default setup.
 */
import { finished } from 'node:stream';
import { SpanKind, SpanStatusCode, context, trace, type Attributes, type Span } from '@opentelemetry/api';
import { classifyError } from '../shared/errors/classify';
import { OutputNotFoundError } from '../shared/errors';
import type { ByteRange, ObjectRead, OutputStorage, PresignOptions, PutOptions, StorageOperation } from '../storage/contract';
import { ATTR } from './attributes';
import { recordStorageOperation, type StorageOutcome } from './metrics';
import { markSpanError, TRACER_NAME } from './tracing';

const tracer = trace.getTracer(TRACER_NAME);

/** The S3 API call each operation makes (presign makes none: it only signs a GetObject). */
const S3_METHOD: Record<StorageOperation, string> = {
  put: 'PutObject',
  stat: 'HeadObject',
  read: 'GetObject',
  delete: 'DeleteObject',
  delete_job: 'ListObjectsV2',
  presign: 'GetObject',
  ping: 'HeadBucket',
};

/** Wraps `storage` so every operation is traced and timed; behaviour and errors are unchanged. */
export function instrumentStorage(storage: OutputStorage): OutputStorage {
  const s3 = storage.kind === 's3';

  const start = (operation: StorageOperation, key: string | null): Span => {
    const attributes: Attributes = { [ATTR.RENDER_STORAGE_KIND]: storage.kind, [ATTR.RENDER_STORAGE_OPERATION]: operation };
    const where = key === null ? null : storage.locate(key);
    if (s3) {
      Object.assign(attributes, {
        [ATTR.RPC_SYSTEM]: 'aws-api',
        [ATTR.RPC_SERVICE]: 'S3',
        [ATTR.RPC_METHOD]: S3_METHOD[operation],
      });
      if (storage.endpoint?.region) attributes[ATTR.CLOUD_REGION] = storage.endpoint.region;
      if (storage.endpoint?.host) attributes[ATTR.SERVER_ADDRESS] = storage.endpoint.host.replace(/:\d+$/, '');
      const bucket = where?.container ?? storage.description.replace(/^s3:\/\/([^/]+).*$/, '$1');
      attributes[ATTR.AWS_S3_BUCKET] = bucket;
      if (where) attributes[ATTR.AWS_S3_KEY] = where.name;
    } else if (where) {
      attributes[ATTR.RENDER_STORAGE_CONTAINER] = where.container;
      attributes[ATTR.RENDER_STORAGE_KEY] = where.name;
    }
    const name = s3 ? `S3.${S3_METHOD[operation]}${operation === 'presign' ? ' presign' : ''}` : `storage ${operation}`;
    // Presigning only computes a signature locally: no remote call, so no CLIENT span.
    const kind = s3 && operation !== 'presign' ? SpanKind.CLIENT : SpanKind.INTERNAL;
    return tracer.startSpan(name, { kind, attributes });
  };

  const end = (span: Span, operation: StorageOperation, started: number, outcome: StorageOutcome, err?: unknown): void => {
    if (outcome === 'error') markSpanError(span, classifyError(err));
    else if (outcome === 'not_found') span.setAttribute(ATTR.ERROR_TYPE, 'OUTPUT_NOT_FOUND');
    span.end();
    recordStorageOperation(operation, outcome, (performance.now() - started) / 1000);
  };

  /** Runs `fn` inside the operation's span (so the SDK's HTTP calls are its children) and records it. */
  async function run<T>(
    operation: StorageOperation,
    key: string | null,
    fn: () => Promise<T>,
    outcomeOf: (value: T) => StorageOutcome = () => 'ok',
  ): Promise<T> {
    const started = performance.now();
    const span = start(operation, key);
    try {
      const value = await context.with(trace.setSpan(context.active(), span), fn);
      end(span, operation, started, outcomeOf(value));
      return value;
    } catch (err) {
      end(span, operation, started, err instanceof OutputNotFoundError ? 'not_found' : 'error', err);
      throw err;
    }
  }

  return {
    kind: storage.kind,
    description: storage.description,
    endpoint: storage.endpoint,
    keyFor: (jobId, attempt) => storage.keyFor(jobId, attempt),
    keyForLegacyPath: (outputPath) => storage.keyForLegacyPath(outputPath),
    locate: (key) => storage.locate(key),
    put: (key: string, file: string, options: PutOptions) =>
      run('put', key, async () => {
        const info = await storage.put(key, file, options);
        trace.getActiveSpan()?.setAttribute(ATTR.RENDER_OUTPUT_BYTES, info.bytes);
        return info;
      }),
    stat: (key) =>
      run(
        'stat',
        key,
        () => storage.stat(key),
        (info) => (info === null ? 'not_found' : 'ok'),
      ),
    read: (key: string, range?: ByteRange) => readTimed(key, range),
    delete: (key) => run('delete', key, () => storage.delete(key)),
    deleteJob: (jobId) => run('delete_job', null, () => storage.deleteJob(jobId)),
    presignGet: (key: string, options: PresignOptions) => run('presign', key, () => storage.presignGet(key, options)),
    ping: () => run('ping', null, () => storage.ping()),
    // The piece cache records its own telemetry (hits, misses, bytes) in the worker.
    pieces: storage.pieces,
    close: () => storage.close(),
  };

  /** A read's span and duration last until its body stream ends, errors or is closed by the consumer. */
  async function readTimed(key: string, range?: ByteRange): Promise<ObjectRead> {
    const started = performance.now();
    const span = start('read', key);
    if (range) span.setAttribute('render.storage.range', `bytes=${range.start}-${range.end}`);
    let opened: ObjectRead;
    try {
      opened = await context.with(trace.setSpan(context.active(), span), () => storage.read(key, range));
    } catch (err) {
      end(span, 'read', started, err instanceof OutputNotFoundError ? 'not_found' : 'error', err);
      throw err;
    }
    finished(opened.body, (err) => {
      // A client that hangs up mid-download closes the stream early: not a storage failure.
      const premature = (err as NodeJS.ErrnoException | undefined)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
      if (premature) span.setStatus({ code: SpanStatusCode.UNSET });
      end(span, 'read', started, err && !premature ? 'error' : 'ok', err);
    });
    return opened;
  }
}
