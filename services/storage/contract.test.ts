/**
 * The storage contract, one suite run against both adapters: the local directory, and the S3
 * adapter against an S3 EMULATOR (s3rver, started here on 127.0.0.1; not MinIO, not AWS) through
 * the real AWS SDK over HTTP.
 *
 * The same suite runs against a real S3-compatible server on this machine, e.g. the compose
 * stack's MinIO (`docker compose up -d minio minio-init`):
 *   RENDER_CONTRACT_S3_ENDPOINT=http://127.0.0.1:9000 RENDER_CONTRACT_S3_BUCKET=renders \
 *   AWS_ACCESS_KEY_ID=render-app AWS_SECRET_ACCESS_KEY=… npx vitest run services/storage/contract.test.ts
 * (loopback endpoints only).
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { freePort, waitFor } from '../../test/support/ports';
import os from 'node:os';
import path from 'node:path';
import { startS3Emulator, type S3Emulator } from '../../test/support/s3-emulator';
import { OutputNotFoundError, StorageError, StorageUnavailableError } from '../shared/errors';
import type { S3StorageConfig } from '../shared/storage-config';
import type { OutputStorage } from './contract';
import { createLocalStorage } from './local';
import { createS3Storage } from './s3';

const external = process.env.RENDER_CONTRACT_S3_ENDPOINT;
if (external && !['127.0.0.1', 'localhost', '[::1]'].includes(new URL(external).hostname)) {
  throw new Error('RENDER_CONTRACT_S3_ENDPOINT must be a loopback address: tests never reach another host');
}
const BUCKET = external ? (process.env.RENDER_CONTRACT_S3_BUCKET ?? 'renders') : 'contract';
let emulator: S3Emulator;
/** The S3 server under test: the emulator, or the external one. */
const endpoint = () => external ?? emulator.endpoint;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'storage-contract-'));

beforeAll(async () => {
  emulator = await startS3Emulator({ buckets: [BUCKET] });
  // The SDK's default credential chain reads these, as it would in production.
  if (!external) {
    process.env.AWS_ACCESS_KEY_ID = emulator.env.AWS_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = emulator.env.AWS_SECRET_ACCESS_KEY;
  }
});
afterAll(async () => {
  await emulator?.close();
  rmSync(scratch, { recursive: true, force: true });
});

function s3Config(overrides: Partial<S3StorageConfig> = {}): S3StorageConfig {
  return {
    kind: 's3',
    bucket: BUCKET,
    prefix: 'outputs',
    endpoint: endpoint(),
    publicEndpoint: undefined,
    region: 'us-east-1',
    forcePathStyle: true,
    ...overrides,
  };
}

/** A file of `bytes` random bytes in scratch; returns its path and content. */
function sourceFile(bytes: number): { file: string; data: Buffer } {
  const data = randomBytes(bytes);
  const file = path.join(scratch, `src-${randomBytes(4).toString('hex')}.mp4`);
  writeFileSync(file, data);
  return { file, data };
}

async function readAll(storage: OutputStorage, key: string, range?: { start: number; end: number }): Promise<Buffer> {
  const opened = await storage.read(key, range);
  const chunks: Buffer[] = [];
  for await (const chunk of opened.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const adapters: { name: string; open: () => OutputStorage }[] = [
  { name: 'local directory', open: () => createLocalStorage(mkdtempSync(path.join(scratch, 'local-'))) },
  { name: external ? `S3 (${external})` : 'S3 (emulator)', open: () => createS3Storage(s3Config()) },
];

describe.each(adapters)('storage contract: $name', ({ open }) => {
  let storage: OutputStorage;
  beforeAll(() => {
    storage = open();
  });
  afterAll(async () => {
    await storage.close();
  });

  test('ping answers', async () => {
    await storage.ping();
  });

  test('put, stat, read whole and by range', async () => {
    const { file, data } = sourceFile(100_000);
    const key = storage.keyFor('job-put', 1);
    const info = await storage.put(key, file, { contentType: 'video/mp4' });
    assert.equal(info.bytes, data.length);
    assert.equal((await storage.stat(key))?.bytes, data.length);
    assert.equal(sha(await readAll(storage, key)), sha(data));
    const part = await readAll(storage, key, { start: 10, end: 1033 });
    assert.deepEqual(part, data.subarray(10, 1034));
    const opened = await storage.read(key, { start: 99_990, end: 99_999 });
    assert.equal(opened.totalBytes, data.length);
    assert.deepEqual(opened.range, { start: 99_990, end: 99_999 });
    opened.body.resume();
  });

  test('a file larger than one multipart part round-trips intact', { timeout: 60_000 }, async () => {
    const { file, data } = sourceFile(9 * 1024 * 1024 + 123);
    const key = storage.keyFor('job-big', 1);
    const seen = emulator.requests.length;
    assert.equal((await storage.put(key, file, { contentType: 'video/mp4' })).bytes, data.length);
    if (storage.kind === 's3' && !external) {
      const calls = emulator.requests.slice(seen).map((r) => r.line);
      assert.ok(
        calls.some((l) => /^POST \S+\?uploads/.test(l)),
        `a multipart upload was created: ${calls.join(', ')}`,
      );
      assert.equal(calls.filter((l) => /^PUT \S+partNumber=/.test(l)).length, 2, 'two parts of 8 MiB at most');
      // With a custom endpoint the SDK adds no checksum S3-compatible servers might reject.
      const headers = emulator.requests.slice(seen).flatMap((r) => Object.keys(r.headers));
      assert.ok(!headers.some((h) => h.startsWith('x-amz-checksum-') || h === 'x-amz-sdk-checksum-algorithm'), headers.join(','));
    }
    assert.equal(sha(await readAll(storage, key)), sha(data));
    const tail = await readAll(storage, key, { start: data.length - 5, end: data.length - 1 });
    assert.deepEqual(tail, data.subarray(data.length - 5));
  });

  test('every attempt gets its own key, and deleting one leaves the others', async () => {
    const a = storage.keyFor('job-race', 1);
    const b = storage.keyFor('job-race', 2);
    const again = storage.keyFor('job-race', 1);
    assert.equal(new Set([a, b, again]).size, 3, 'a retried job counting from attempt 1 again still gets a new key');
    for (const key of [a, b]) await storage.put(key, sourceFile(1000).file, { contentType: 'video/mp4' });
    await storage.delete(b);
    assert.equal(await storage.stat(b), null);
    assert.equal((await storage.stat(a))?.bytes, 1000);
  });

  test('deleteJob removes every object of that job and nothing of another', async () => {
    const mine = [storage.keyFor('job-gone', 1), storage.keyFor('job-gone', 2)];
    const other = storage.keyFor('job-gone2', 1);
    for (const key of [...mine, other]) await storage.put(key, sourceFile(500).file, { contentType: 'video/mp4' });
    assert.equal(await storage.deleteJob('job-gone'), 2);
    for (const key of mine) assert.equal(await storage.stat(key), null);
    assert.equal((await storage.stat(other))?.bytes, 500);
    assert.equal(await storage.deleteJob('job-gone'), 0, 'deleting again is a no-op');
  });

  test('what is not stored: stat null, read OutputNotFoundError, delete succeeds', async () => {
    const key = storage.keyFor('job-none', 1);
    assert.equal(await storage.stat(key), null);
    await assert.rejects(storage.read(key), (err: unknown) => err instanceof OutputNotFoundError && err.httpStatus === 404);
    await storage.delete(key);
  });

  test('an aborted upload stores nothing', async () => {
    const key = storage.keyFor('job-abort', 1);
    const controller = new AbortController();
    controller.abort('cancelled');
    await assert.rejects(storage.put(key, sourceFile(2000).file, { contentType: 'video/mp4', signal: controller.signal }));
    assert.equal(await storage.stat(key), null);
  });

  test('an upload aborted midway stores nothing', { timeout: 60_000 }, async () => {
    const key = storage.keyFor('job-midway', 1);
    const controller = new AbortController();
    const { file } = sourceFile(9 * 1024 * 1024);
    const seen = emulator.requests.length;
    const put = storage.put(key, file, { contentType: 'video/mp4', signal: controller.signal });
    if (storage.kind === 's3' && !external) {
      // Abort once the multipart upload has begun on the server.
      await waitFor('the upload to start', () => emulator.requests.slice(seen).some((r) => r.line.startsWith('POST ')), 20_000, 5);
    }
    controller.abort('cancelled');
    const outcome = await put.then(
      () => 'stored',
      () => 'rejected',
    );
    // The local adapter may already have finished the rename before the abort lands: then it is whole.
    if (outcome === 'stored') assert.equal((await storage.stat(key))?.bytes, 9 * 1024 * 1024);
    else assert.equal(await storage.stat(key), null);
    if (storage.kind === 's3') assert.equal(outcome, 'rejected');
  });

  test('keys that no adapter produces are refused before touching the backend', async () => {
    for (const bad of ['../etc/passwd', 'a/b.mp4', '', 'x.mp4/..']) {
      await assert.rejects(storage.stat(bad), TypeError);
    }
    assert.throws(() => storage.keyFor('../x', 1), TypeError);
  });
});

describe('S3 adapter specifics', () => {
  test('a presigned URL downloads the same bytes, then stops working after its lifetime', { timeout: 30_000 }, async () => {
    const storage = createS3Storage(s3Config());
    try {
      const { file, data } = sourceFile(5000);
      const key = storage.keyFor('job-sign', 1);
      await storage.put(key, file, { contentType: 'video/mp4' });
      // 3 s, not 1: the signing time is whole seconds (X-Amz-Date), so a 1 s URL signed late in a
      // second can be expired by the time the first fetch arrives (seen on a clean-clone run).
      const url = await storage.presignGet(key, { expiresInSeconds: 3, downloadName: 'job-sign.mp4', contentType: 'video/mp4' });
      assert.ok(url?.startsWith(`${endpoint()}/${BUCKET}/outputs/job-sign.a1-`), url ?? 'null');
      const res = await fetch(url!);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'video/mp4');
      assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="job-sign\.mp4"/);
      assert.equal(sha(Buffer.from(await res.arrayBuffer())), sha(data));
      // Expiry is decided by the server's clock; poll until it refuses rather than sleeping a guess.
      await waitFor('the presigned URL to expire', async () => (await fetch(url!)).status === 403, 15_000, 250);
      const tampered = url!.replace(/X-Amz-Expires=3/, 'X-Amz-Expires=3600');
      assert.notEqual(tampered, url, 'the URL names its lifetime');
      assert.equal((await fetch(tampered)).status, 403, 'the signature covers the lifetime');
    } finally {
      await storage.close();
    }
  });

  test('presigned URLs are signed for RENDER_S3_PUBLIC_ENDPOINT when set', async () => {
    const publicEndpoint = endpoint().replace('127.0.0.1', 'localhost');
    const storage = createS3Storage(s3Config({ publicEndpoint }));
    try {
      const { file, data } = sourceFile(300);
      const key = storage.keyFor('job-public', 1);
      await storage.put(key, file, { contentType: 'video/mp4' });
      const url = await storage.presignGet(key, { expiresInSeconds: 60, downloadName: 'a.mp4', contentType: 'video/mp4' });
      assert.ok(url?.startsWith(`${publicEndpoint}/`), url ?? 'null');
      const res = await fetch(url!);
      assert.equal(res.status, 200, 'the signature matches the public host');
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
    } finally {
      await storage.close();
    }
  });

  test('the local adapter cannot presign', async () => {
    const storage = createLocalStorage(path.join(scratch, 'nosign'));
    assert.equal(
      await storage.presignGet(storage.keyFor('job-x', 1), { expiresInSeconds: 60, downloadName: 'a.mp4', contentType: 'video/mp4' }),
      null,
    );
  });

  test('a missing bucket fails for good; wrong credentials fail for good; a closed port is unavailable (retryable)', async () => {
    const noBucket = createS3Storage(s3Config({ bucket: 'no-such-bucket' }));
    // (A real server may answer 403 for a bucket the account has no rights on: refused for good too.)
    await assert.rejects(
      noBucket.ping(),
      (err: unknown) => err instanceof StorageError && !err.retryable && (external !== undefined || /does not exist/.test(err.message)),
    );
    await noBucket.close();

    const saved = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = 'wrong';
    const denied = createS3Storage(s3Config());
    try {
      await assert.rejects(
        denied.stat(denied.keyFor('job-x', 1)),
        (err: unknown) => err instanceof StorageError && !err.retryable && err.category === 'storage',
      );
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = saved;
      await denied.close();
    }

    const port = await freePort();
    const down = createS3Storage(s3Config({ endpoint: `http://127.0.0.1:${port}` }), { maxAttempts: 1 });
    await assert.rejects(down.ping(), (err: unknown) => err instanceof StorageUnavailableError && err.retryable && err.httpStatus === 503);
    await down.close();
  });

  test('objects land under the configured prefix', async () => {
    const storage = createS3Storage(s3Config({ prefix: 'deep/er' }));
    try {
      const key = storage.keyFor('job-prefix', 3);
      assert.deepEqual(storage.locate(key), { container: BUCKET, name: `deep/er/${key}` });
      await storage.put(key, sourceFile(10).file, { contentType: 'video/mp4' });
      const res = await fetch((await storage.presignGet(key, { expiresInSeconds: 60, downloadName: 'a.mp4', contentType: 'video/mp4' }))!);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), await readAll(storage, key));
    } finally {
      await storage.close();
    }
  });
});

describe('local adapter specifics', () => {
  test('keeps videos as plain files in its folder, with no temp file left, and knows legacy paths', async () => {
    const dir = path.join(scratch, 'plain');
    const storage = createLocalStorage(dir);
    const key = storage.keyFor('job-plain', 1);
    const { file } = sourceFile(64);
    await storage.put(key, file, { contentType: 'video/mp4' });
    assert.deepEqual(readdirSync(dir), [key]);
    assert.equal(existsSync(file), false, 'the scratch file was moved, not copied');
    assert.equal(storage.keyForLegacyPath(path.join(dir, 'job-old.mp4')), 'job-old.mp4');
    assert.equal(storage.keyForLegacyPath('/elsewhere/job-old.mp4'), null);
  });
});
