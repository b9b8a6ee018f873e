/**
 * The piece cache in the bucket (`<prefix>pieces/`). The LRU bookkeeping lives in the bucket
 * itself, not in any worker: an object's LastModified is its last use. A hit copies the object onto
 * itself (CopyObject with replaced metadata, server-side, no bytes through the worker), which moves
 * its LastModified to now; eviction lists the prefix and deletes the oldest. Every worker on the
 * bucket sees and updates the same order, so it is one shared LRU, not one per worker.
 */
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { PieceStore, StoredPiece } from './contract';
import { assertPieceName } from './piece-names';
import { s3Failure } from './s3';

export function s3PieceStore(client: S3Client, bucket: string, prefix: string): PieceStore {
  const keyOf = (name: string) => {
    assertPieceName(name);
    return prefix + name;
  };
  const notFound = (err: unknown) => {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
  };
  return {
    async get(name) {
      const Key = keyOf(name);
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
        if (!(res.Body instanceof Readable)) return null;
        const chunks: Buffer[] = [];
        for await (const c of res.Body) chunks.push(c as Buffer);
        return Buffer.concat(chunks);
      } catch (err) {
        if (notFound(err)) return null;
        throw s3Failure(err, `reading piece ${name}`);
      }
    },
    async put(name, body) {
      const Key = keyOf(name);
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: body, ContentLength: body.length }));
      } catch (err) {
        throw s3Failure(err, `storing piece ${name}`);
      }
    },
    async touch(name) {
      const Key = keyOf(name);
      try {
        await client.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key,
            CopySource: `${bucket}/${encodeURIComponent(Key).replace(/%2F/g, '/')}`,
            MetadataDirective: 'REPLACE',
            Metadata: { 'last-used': new Date().toISOString() },
          }),
        );
      } catch (err) {
        if (!notFound(err)) throw s3Failure(err, `touching piece ${name}`);
      }
    },
    async list(namePrefix) {
      const out: StoredPiece[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix + namePrefix, ContinuationToken: token }),
          );
          for (const o of page.Contents ?? []) {
            if (!o.Key) continue;
            out.push({ name: o.Key.slice(prefix.length), bytes: o.Size ?? 0, lastUsed: o.LastModified ?? new Date(0) });
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (err) {
        throw s3Failure(err, `listing pieces under ${namePrefix}`);
      }
      return out;
    },
    async freeBytes() {
      return null;
    },
    async delete(name) {
      const Key = keyOf(name);
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
      } catch (err) {
        if (!notFound(err)) throw s3Failure(err, `deleting piece ${name}`);
      }
    },
  };
}
