/** Picks the storage adapter: S3 when RENDER_STORAGE_URL is s3://…, the local directory otherwise. */
import type { StorageConfig } from '../shared/storage-config';
import type { OutputStorage } from './contract';
import { createLocalStorage } from './local';
import { createS3Storage, type S3Options } from './s3';

/** Opens the configured adapter; the caller closes it. `s3` tunes the S3 client (@testSeam s3-options). */
export function createOutputStorage(config: Readonly<StorageConfig>, s3: S3Options = {}): OutputStorage {
  return config.kind === 's3' ? createS3Storage(config, s3) : createLocalStorage(config.dir);
}

export type { OutputStorage } from './contract';
