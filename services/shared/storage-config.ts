/**
 * Where finished videos go, from `RENDER_STORAGE_URL` and the standard AWS variables. Parsed once at
 * start-up with the rest of the configuration; a malformed value stops start-up naming the variable.
 */
import path from 'node:path';

/** A local directory (the default; also right for a shared filesystem). */
export interface LocalStorageConfig {
  kind: 'local';
  /** Absolute directory the videos are written to. */
  dir: string;
}

/** S3-compatible object storage (AWS S3, MinIO, Ceph RGW, R2, GCS interoperability). */
export interface S3StorageConfig {
  kind: 's3';
  bucket: string;
  /** Key prefix without leading or trailing slash; '' for the bucket's root. */
  prefix: string;
  /** `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`; undefined means AWS itself. */
  endpoint: string | undefined;
  /** The endpoint presigned URLs are signed for when clients reach the server by another address. */
  publicEndpoint: string | undefined;
  /** `AWS_REGION`, else `AWS_DEFAULT_REGION`; undefined lets the SDK's own chain decide. */
  region: string | undefined;
  forcePathStyle: boolean;
}

/** The storage the services use. */
export type StorageConfig = LocalStorageConfig | S3StorageConfig;

/** A storage setting that cannot work; the message says which variable and why. */
export class StorageConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'StorageConfigError';
  }
}

// S3's bucket naming rules (lowercase letters, digits, dots, hyphens; 3–63; letter or digit at both ends).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// Keys are built from this prefix and job ids; keep it to characters that need no escaping anywhere.
const PREFIX = /^[A-Za-z0-9!_.*'()/-]{0,512}$/;

/** The inputs `storageConfig` reads. */
export interface StorageEnv {
  storageUrl: string | undefined;
  defaultDir: string;
  endpointS3: string | undefined;
  endpoint: string | undefined;
  publicEndpoint: string | undefined;
  region: string | undefined;
  forcePathStyle: boolean;
}

/** Builds the storage config; throws StorageConfigError naming the variable at fault. */
export function storageConfig(env: StorageEnv): StorageConfig {
  if (env.storageUrl === undefined) return { kind: 'local', dir: env.defaultDir };
  const raw = env.storageUrl;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new StorageConfigError(
      'RENDER_STORAGE_URL',
      `${JSON.stringify(raw)} is not a URL; use file:///absolute/path or s3://bucket/prefix`,
    );
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new StorageConfigError(
      'RENDER_STORAGE_URL',
      'must not carry a query, a fragment or credentials (credentials come from the AWS variables or the SDK chain)',
    );
  }
  if (url.protocol === 'file:') {
    if (url.host !== '' && url.host !== 'localhost') {
      throw new StorageConfigError(
        'RENDER_STORAGE_URL',
        `file URLs name a local absolute path (file:///path), got host ${JSON.stringify(url.host)}`,
      );
    }
    const dir = decodeURIComponent(url.pathname);
    if (dir === '/' || !path.isAbsolute(dir))
      throw new StorageConfigError('RENDER_STORAGE_URL', 'a file URL must name a directory other than /');
    return { kind: 'local', dir: path.resolve(dir) };
  }
  if (url.protocol !== 's3:') {
    throw new StorageConfigError(
      'RENDER_STORAGE_URL',
      `scheme ${url.protocol} is not supported; use file:///absolute/path or s3://bucket/prefix`,
    );
  }
  const bucket = url.hostname;
  if (!BUCKET.test(bucket) || bucket.includes('..') || url.port) {
    throw new StorageConfigError('RENDER_STORAGE_URL', `${JSON.stringify(url.host)} is not a valid S3 bucket name`);
  }
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && (!PREFIX.test(prefix) || prefix.split('/').some((part) => part === '' || part === '.' || part === '..'))) {
    throw new StorageConfigError(
      'RENDER_STORAGE_URL',
      `the key prefix ${JSON.stringify(prefix)} has characters or segments S3 keys should not`,
    );
  }
  const endpoint = httpUrl('AWS_ENDPOINT_URL_S3', env.endpointS3) ?? httpUrl('AWS_ENDPOINT_URL', env.endpoint);
  const publicEndpoint = httpUrl('RENDER_S3_PUBLIC_ENDPOINT', env.publicEndpoint);
  return { kind: 's3', bucket, prefix, endpoint, publicEndpoint, region: env.region, forcePathStyle: env.forcePathStyle };
}

function httpUrl(variable: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StorageConfigError(variable, `${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new StorageConfigError(variable, 'must be an http:// or https:// URL');
  if (url.username || url.password || url.search || url.hash)
    throw new StorageConfigError(variable, 'must not carry credentials, a query or a fragment');
  return value.replace(/\/+$/, '');
}
