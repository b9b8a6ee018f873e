/**
 * The storage contract: where finished videos live. Two adapters implement it: `local` (a
 * directory; the default, and right for a shared filesystem) and `s3` (S3-compatible object
 * storage through the AWS SDK). Each adapter owns its client: it opens it in its factory and
 * closes it in `close()`; callers never see an S3 client or a file handle.
 *
 * Split of duties:
 * - The adapter stores, reads (whole or a byte range, streamed), deletes and, where the backend
 *   can, hands out a time-limited URL. It knows nothing of jobs beyond how keys are spelled.
 * - Keys are per attempt (`keyFor(jobId, attempt)`, never reused), so two attempts of one job never
 *   write the same object: the worker uploads under its own key, then tries to publish that key on
 *   the job record; only the attempt that wins the final status update publishes, and a losing
 *   attempt deletes its own object and nothing else.
 * - `deleteJob` removes every object of a job (all its attempts), for job deletion and retention.
 *
 * - `pieces` is the render piece cache's corner of the same storage (`pieces/` in the folder or
 *   under the bucket's prefix), so every worker that shares the videos' storage shares the pieces.
 *
 * Failures are RenderErrors in category `storage`: OutputNotFoundError (404) for a missing object,
 * StorageUnavailableError (503, retryable) when the backend did not answer or asked us to slow down,
 * StorageError otherwise (retryable unless the backend said retrying cannot help).
 */
import type { Readable } from 'node:stream';

/** A byte range, both ends inclusive (as in HTTP `Range: bytes=start-end`). */
export interface ByteRange {
  start: number;
  end: number;
}

/** What a stored object is. */
export interface ObjectInfo {
  bytes: number;
  /** Strong validator when the backend has one (S3 ETag, quoted); used for `ETag` on downloads. */
  etag: string | null;
  lastModified: Date | null;
}

/** An opened read: the body stream and what it covers. */
export interface ObjectRead {
  body: Readable;
  /** Size of the whole object. */
  totalBytes: number;
  /** The range the body holds, or null for the whole object. */
  range: ByteRange | null;
}

/** Options for `put`. */
export interface PutOptions {
  contentType: string;
  /** Aborts the upload (cancel, shutdown, stage timeout); a partial object is never left visible. */
  signal?: AbortSignal;
}

/** Options for `presignGet`. */
export interface PresignOptions {
  expiresInSeconds: number;
  /** File name the browser saves the download as. */
  downloadName: string;
  contentType: string;
}

/** Where an object lives, for telemetry (`aws.s3.bucket`, `aws.s3.key`) and logs. Never secret. */
export interface ObjectLocation {
  /** The bucket (s3) or the directory (local). */
  container: string;
  /** The full object key (prefix included) or the file name. */
  name: string;
}

/** Operations, as they appear in `render_storage_operation_duration_seconds{operation}`. */
export const STORAGE_OPERATIONS = ['put', 'stat', 'read', 'delete', 'delete_job', 'presign', 'ping'] as const;
/** One storage operation. */
export type StorageOperation = (typeof STORAGE_OPERATIONS)[number];

/** One object of the piece cache, as a listing shows it. */
export interface StoredPiece {
  /** Its name under the cache (`pieces/<scope>/…`, see piece-names.ts). */
  name: string;
  bytes: number;
  /** When it was written or last read: the LRU order (file mtime; the object's LastModified on S3). */
  lastUsed: Date;
}

/**
 * The piece cache's objects. Whole-object reads and writes (pieces are small: a GOP, a still, a
 * WAV); a write is atomic (temp file and rename; one PUT), so a crash never leaves half a piece
 * under a name. Bytes are checked by the cache, not here.
 */
export interface PieceStore {
  /** The object, or null when nothing is stored under `name`. */
  get(name: string): Promise<Buffer | null>;
  put(name: string, body: Buffer): Promise<void>;
  /** Marks `name` used now (its LRU position); a missing object is not an error. */
  touch(name: string): Promise<void>;
  /** Every object whose name starts with `prefix`. */
  list(prefix: string): Promise<StoredPiece[]>;
  /** Deletes `name`; deleting what is not there succeeds. */
  delete(name: string): Promise<void>;
  /** Free bytes of the disk the pieces are on (local folder), or null where that is not ours to watch (S3). */
  freeBytes(): Promise<number | null>;
}

/** The storage contract every adapter implements. */
export interface OutputStorage {
  readonly kind: 'local' | 's3';
  /** A URL-like description for logs and readiness answers (`s3://bucket/prefix`, `file:///dir`); no secrets. */
  readonly description: string;
  /** Region and server address of an object store, for telemetry; null for local storage. */
  readonly endpoint: { region: string | null; host: string | null } | null;
  /** The key one attempt stores its video under: unique per call, prefixed by the job id. */
  keyFor(jobId: string, attempt: number): string;
  /** The key a record from before object storage points at (a local `outputPath`), or null. */
  keyForLegacyPath(outputPath: string): string | null;
  /** Where `key` lives in the backend. */
  locate(key: string): ObjectLocation;
  /**
   * Stores `sourceFile` under `key` (multipart for large files on S3). The local adapter may move
   * the file instead of copying it: the caller must not use `sourceFile` afterwards.
   */
  put(key: string, sourceFile: string, options: PutOptions): Promise<ObjectInfo>;
  /** What is stored under `key`, or null when nothing is. */
  stat(key: string): Promise<ObjectInfo | null>;
  /** Opens `key` for reading, whole or `range`; throws OutputNotFoundError when nothing is stored. */
  read(key: string, range?: ByteRange): Promise<ObjectRead>;
  /** Deletes `key`; deleting what is not there succeeds. */
  delete(key: string): Promise<void>;
  /** Deletes every object of `jobId` (every attempt's); returns how many were deleted. */
  deleteJob(jobId: string): Promise<number>;
  /** A time-limited GET URL for `key`, or null when the backend cannot hand one out (local). */
  presignGet(key: string, options: PresignOptions): Promise<string | null>;
  /** Resolves when the backend answers (bucket reachable, directory writable); rejects with the reason. */
  ping(): Promise<void>;
  /** The piece cache's objects on this same storage. */
  readonly pieces: PieceStore;
  close(): Promise<void>;
}
