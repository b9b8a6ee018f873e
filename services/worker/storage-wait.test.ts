import { test } from 'vitest';
import assert from 'node:assert/strict';
import { freePort } from '../../test/support/ports';
import { startS3Emulator } from '../../test/support/s3-emulator';
import { createS3Storage } from '../storage/s3';
import pino from 'pino';
import { waitForStorage } from './storage-wait';

test('a worker waits for an unreachable object store and goes on once it answers', { timeout: 30_000 }, async () => {
  const port = await freePort();
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  const storage = createS3Storage(
    {
      kind: 's3',
      bucket: 'late',
      prefix: '',
      endpoint: `http://127.0.0.1:${port}`,
      publicEndpoint: undefined,
      region: 'us-east-1',
      forcePathStyle: true,
    },
    { maxAttempts: 1 },
  );
  let resolved = false;
  const waiting = waitForStorage(storage, logger, { firstMs: 50, maxMs: 200 }).then(() => (resolved = true));
  // The store comes up only after the worker has said at least once that it is waiting.
  while (!lines.some((l) => l.includes('video storage unavailable'))) await new Promise((r) => setTimeout(r, 20));
  assert.equal(resolved, false);
  const s3 = await startS3Emulator({ buckets: ['late'], port });
  try {
    await waiting;
    assert.equal(resolved, true);
    assert.match(lines.find((l) => l.includes('video storage unavailable')) ?? '', /ECONNREFUSED/);
  } finally {
    await storage.close();
    await s3.close();
  }
});
