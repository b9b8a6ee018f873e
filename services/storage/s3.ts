/**
 * The S3-compatible adapter (AWS S3, MinIO, Ceph RGW, Cloudflare R2, GCS interoperability) on the
 * official AWS SDK: multipart uploads through `@aws-sdk/lib-storage`, streamed (ranged) reads, and
 * presigned GETs through `@aws-sdk/s3-request-presigner`. Endpoint, region and credentials follow
 * the SDK's conventions (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY or the default credential chain); credentials never pass through our code.
 */
import { createReadStream } from 'node:fs';
import { stat as statFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { OutputNotFoundError, RenderError, StorageError, StorageUnavailableError } from '../shared/errors';
import type { S3StorageConfig } from '../shared/storage-config';
import type { ByteRange, ObjectInfo, ObjectLocation, ObjectRead, OutputStorage, PieceStore, PresignOptions, PutOptions } from './contract';
import { s3PieceStore } from './s3-pieces';
import { assertKey, attemptKey, jobKeyPrefix } from './keys';

/** Multipart part size: S3's minimum is 5 MiB; 8 MiB keeps memory at queueSize × partSize = 16 MiB per upload. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

/** Tuning for tests; production keeps the defaults. @testSeam s3-options */
export interface S3Options {
  /** SDK attempts per call (its own retries with backoff), default 3. */
  maxAttempts?: number;
  /** TCP connect timeout, default 3 s: an unreachable server fails fast and readiness says so. */
  connectTimeoutMs?: number;
}

/** Opens the S3 adapter; no request is made until the first operation (see `ping`). */
export function createS3Storage(config: S3StorageConfig, options: S3Options = {}): OutputStorage {
  return new S3Storage(config, options);
}

function clientConfig(config: S3StorageConfig, endpoint: string | undefined, options: S3Options): S3ClientConfig {
  const custom = endpoint !== undefined;
  return {
    endpoint,
    // A custom endpoint (MinIO and friends) does not care about the region, but the SDK needs one to sign.
    region: config.region ?? (custom ? 'us-east-1' : undefined),
    forcePathStyle: config.forcePathStyle,
    // S3-compatible servers often reject the SDK's newer default checksums (CRC32 on every upload);
    // against AWS itself the defaults stay.
    ...(custom ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
    maxAttempts: options.maxAttempts ?? 3,
    // No whole-request timeout: a download of a large video may take long; an idle socket may not.
    requestHandler: { connectionTimeout: options.connectTimeoutMs ?? 3000, socketTimeout: 60_000 },
  };
}

class S3Storage implements OutputStorage {
  readonly kind = 's3' as const;
  readonly description: string;
  readonly endpoint: { region: string | null; host: string | null };
  private readonly client: S3Client;
  /** Signs URLs for the address clients use (RENDER_S3_PUBLIC_ENDPOINT); never sends a request. */
  private readonly signer: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  readonly pieces: PieceStore;

  constructor(config: S3StorageConfig, options: S3Options) {
    this.bucket = config.bucket;
    this.prefix = config.prefix === '' ? '' : `${config.prefix}/`;
    this.description = `s3://${config.bucket}/${config.prefix}`;
    this.client = new S3Client(clientConfig(config, config.endpoint, options));
    this.signer = config.publicEndpoint ? new S3Client(clientConfig(config, config.publicEndpoint, options)) : this.client;
    this.endpoint = {
      region: config.region ?? (config.endpoint ? 'us-east-1' : null),
      host: config.endpoint ? new URL(config.endpoint).host : null,
    };
    this.pieces = s3PieceStore(this.client, this.bucket, this.prefix);
  }

  keyFor(jobId: string, attempt: number): string {
    return attemptKey(jobId, attempt);
  }

  keyForLegacyPath(): string | null {
    // A local path from before object storage is on some worker's disk, not in the bucket.
    return null;
  }

  locate(key: string): ObjectLocation {
    return { container: this.bucket, name: this.objectKey(key) };
  }

  async put(key: string, sourceFile: string, options: PutOptions): Promise<ObjectInfo> {
    const Key = this.objectKey(key);
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      options.signal?.throwIfAborted();
      const { size } = await statFile(sourceFile);
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key, Body: createReadStream(sourceFile), ContentType: options.contentType, ContentLength: size },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        // Aborts the multipart upload on failure, so no invisible parts are billed forever.
        leavePartsOnError: false,
        abortController: abort,
      });
      const done = await upload.done();
      return { bytes: size, etag: done.ETag ?? null, lastModified: null };
    } catch (err) {
      throw s3Failure(err, `uploading ${Key}`);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const Key = this.objectKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return { bytes: head.ContentLength ?? 0, etag: head.ETag ?? null, lastModified: head.LastModified ?? null };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw s3Failure(err, `reading ${Key}`);
    }
  }

  async read(key: string, range?: ByteRange): Promise<ObjectRead> {
    const Key = this.objectKey(key);
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      if (!(res.Body instanceof Readable)) throw new StorageError(`reading ${Key}: the SDK returned no stream`, null, { retryable: false });
      const total = totalOf(res.ContentRange) ?? res.ContentLength ?? 0;
      return { body: res.Body, totalBytes: total, range: range ?? null };
    } catch (err) {
      if (isNotFound(err)) throw new OutputNotFoundError(`no stored video under ${Key}`);
      throw s3Failure(err, `reading ${Key}`);
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw s3Failure(err, `deleting ${Key}`);
    }
  }

  async deleteJob(jobId: string): Promise<number> {
    const Prefix = this.prefix + jobKeyPrefix(jobId);
    let deleted = 0;
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken: token }));
        // One DeleteObject each: a job has a handful of objects, and DeleteObjects needs a checksum
        // header that not every S3-compatible server accepts.
        for (const obj of page.Contents ?? []) {
          if (!obj.Key) continue;
          await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: obj.Key }));
          deleted++;
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw s3Failure(err, `deleting the objects under ${Prefix}`);
    }
    return deleted;
  }

  async presignGet(key: string, options: PresignOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(key),
      ResponseContentType: options.contentType,
      ResponseContentDisposition: `attachment; filename="${options.downloadName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
    });
    try {
      return await getSignedUrl(this.signer, command, { expiresIn: options.expiresInSeconds });
    } catch (err) {
      throw s3Failure(err, 'signing a download URL');
    }
  }

  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      if (isNotFound(err))
        throw new StorageError(`bucket ${this.bucket} does not exist (create it first)`, null, { retryable: false, cause: err });
      throw s3Failure(err, `reaching bucket ${this.bucket}`);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
    if (this.signer !== this.client) this.signer.destroy();
  }

  private objectKey(key: string): string {
    assertKey(key);
    return this.prefix + key;
  }
}

/** `bytes 0-99/1000` → 1000. */
function totalOf(contentRange: string | undefined): number | null {
  const m = contentRange ? /\/(\d+)$/.exec(contentRange) : null;
  return m ? Number(m[1]) : null;
}

interface SdkError {
  name?: string;
  code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function isNotFound(err: unknown): boolean {
  const e = err as SdkError;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || (e?.$metadata?.httpStatusCode === 404 && e?.name !== 'NoSuchBucket');
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const BUSY_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'ServiceUnavailable',
  'InternalError',
  'TimeoutError',
]);
const DENIED_NAMES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'CredentialsProviderError',
]);

/**
 * Maps an SDK failure to a storage error by the backend's own answer (status, error name, SDK
 * retryability, socket error code), never by message words. Unavailable (network, 5xx, throttled)
 * → StorageUnavailableError; refused for good (credentials, missing bucket, other 4xx) → a
 * non-retryable StorageError.
 */
export function s3Failure(err: unknown, what: string): RenderError {
  if (err instanceof RenderError) return err;
  const e = (err ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const code = typeof e.code === 'string' ? e.code : null;
  const name = e.name ?? 'Error';
  const detail = err instanceof Error ? err.message : String(err);
  if (name === 'AbortError') return new StorageError(`${what}: aborted`, null, { retryable: true, cause: err });
  if (name === 'NoSuchBucket') return new StorageError(`${what}: the bucket does not exist`, name, { retryable: false, cause: err });
  if (DENIED_NAMES.has(name) || status === 401 || status === 403) {
    return new StorageError(`${what}: access denied (${name}); check the AWS credentials and the bucket policy`, name, {
      retryable: false,
      cause: err,
    });
  }
  if (
    (code && NETWORK_CODES.has(code)) ||
    BUSY_NAMES.has(name) ||
    e.$retryable ||
    (status !== undefined && (status >= 500 || status === 429))
  ) {
    return new StorageUnavailableError(`${what}: the object store is unavailable (${code ?? name}${status ? `, HTTP ${status}` : ''})`, {
      cause: err,
    });
  }
  const retryable = status === undefined || status >= 500;
  return new StorageError(`${what}: ${name}${status ? ` (HTTP ${status})` : ''}: ${detail}`, name, { retryable, cause: err });
}
