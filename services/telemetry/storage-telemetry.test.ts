/** Storage telemetry against the S3 EMULATOR (s3rver on 127.0.0.1): S3 semantic-convention CLIENT spans and the duration histogram. */
import { afterAll, beforeAll, test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { installTestTelemetry, type TestTelemetry } from '../../test/support/telemetry';
import { startS3Emulator, type S3Emulator } from '../../test/support/s3-emulator';
import { OutputNotFoundError } from '../shared/errors';
import { createS3Storage } from '../storage/s3';
import { createLocalStorage } from '../storage/local';
import { ATTR } from './attributes';
import { instrumentStorage } from './storage-telemetry';

let telemetry: TestTelemetry;
let s3: S3Emulator;
const dir = mkdtempSync(path.join(os.tmpdir(), 'storage-telemetry-'));

beforeAll(async () => {
  telemetry = installTestTelemetry();
  s3 = await startS3Emulator({ buckets: ['telemetry'] });
  process.env.AWS_ACCESS_KEY_ID = s3.env.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = s3.env.AWS_SECRET_ACCESS_KEY;
});
afterAll(async () => {
  await s3?.close();
  await telemetry?.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

test('each S3 operation is one CLIENT span with rpc.* and aws.s3.* attributes, timed by operation and outcome', async () => {
  const storage = instrumentStorage(
    createS3Storage({
      kind: 's3',
      bucket: 'telemetry',
      prefix: 'v',
      endpoint: s3.endpoint,
      publicEndpoint: undefined,
      region: 'eu-central-1',
      forcePathStyle: true,
    }),
  );
  try {
    const file = path.join(dir, 'a.mp4');
    writeFileSync(file, Buffer.alloc(4096, 1));
    const key = storage.keyFor('job-tel', 1);
    await storage.put(key, file, { contentType: 'video/mp4' });
    const read = await storage.read(key, { start: 0, end: 9 });
    for await (const _ of read.body) {
      // drain: the read's span ends with its stream
    }
    await assert.rejects(storage.read(storage.keyFor('job-tel', 2)), OutputNotFoundError);
    await storage.presignGet(key, { expiresInSeconds: 60, downloadName: 'a.mp4', contentType: 'video/mp4' });
    await storage.delete(key);
    await new Promise((r) => setImmediate(r));

    const spans = telemetry.spans().filter((s) => s.name.startsWith('S3.'));
    const put = spans.find((s) => s.name === 'S3.PutObject');
    assert.ok(put, spans.map((s) => s.name).join(', '));
    assert.equal(put.kind, SpanKind.CLIENT);
    assert.equal(put.attributes[ATTR.RPC_SYSTEM], 'aws-api');
    assert.equal(put.attributes[ATTR.RPC_SERVICE], 'S3');
    assert.equal(put.attributes[ATTR.RPC_METHOD], 'PutObject');
    assert.equal(put.attributes[ATTR.AWS_S3_BUCKET], 'telemetry');
    assert.equal(put.attributes[ATTR.AWS_S3_KEY], `v/${key}`);
    assert.equal(put.attributes[ATTR.CLOUD_REGION], 'eu-central-1');
    assert.equal(put.attributes[ATTR.SERVER_ADDRESS], '127.0.0.1');
    const gets = spans.filter((s) => s.name === 'S3.GetObject');
    assert.equal(gets.length, 2);
    const missing = gets.find((s) => s.attributes[ATTR.ERROR_TYPE] === 'OUTPUT_NOT_FOUND');
    assert.ok(missing, 'a missing object is an answer, not an error status');
    assert.notEqual(missing.status.code, SpanStatusCode.ERROR);
    const presign = spans.find((s) => s.name === 'S3.GetObject presign');
    assert.equal(presign?.kind, SpanKind.INTERNAL, 'presigning makes no remote call');
    assert.ok(spans.some((s) => s.name === 'S3.DeleteObject'));

    const text = await telemetry.reader.collector().prometheus();
    const count = (labels: string) =>
      Number(new RegExp(`^render_storage_operation_duration_seconds_count\\{${labels}\\} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
    assert.equal(count('operation="put",outcome="ok"'), 1);
    assert.equal(count('operation="read",outcome="ok"'), 1);
    assert.equal(count('operation="read",outcome="not_found"'), 1);
    assert.equal(count('operation="delete",outcome="ok"'), 1);
    assert.ok(!text.includes('job-tel'), 'keys and job ids never become labels');
  } finally {
    await storage.close();
  }
});

test('a failing operation marks its span ERROR with category storage and counts outcome="error"', async () => {
  telemetry.resetSpans();
  const blocker = path.join(dir, 'blocker');
  writeFileSync(blocker, 'a file where the folder should be');
  const storage = instrumentStorage(createLocalStorage(path.join(blocker, 'videos')));
  const src = path.join(dir, 'b.mp4');
  writeFileSync(src, 'x');
  await assert.rejects(storage.put(storage.keyFor('job-fail', 1), src, { contentType: 'video/mp4' }));
  const span = telemetry.spans().find((s) => s.name === 'storage put');
  assert.equal(span?.kind, SpanKind.INTERNAL);
  assert.equal(span?.status.code, SpanStatusCode.ERROR);
  assert.equal(span?.attributes[ATTR.RENDER_ERROR_CATEGORY], 'storage');
  const text = await telemetry.reader.collector().prometheus();
  assert.match(text, /^render_storage_operation_duration_seconds_count\{operation="put",outcome="error"\} 1$/m);
});
