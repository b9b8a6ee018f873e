import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startS3Emulator, type S3Emulator } from '../../test/support/s3-emulator';
import type { OutputStorage } from './contract';
import { deleteJobOutput } from './job-output';
import { createLocalStorage } from './local';
import { manifestName, pieceName, pieceScope, PIECES_ROOT } from './piece-names';
import { createS3Storage } from './s3';

const BUCKET = 'pieces';
let emulator: S3Emulator;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'piece-store-'));

beforeAll(async () => {
  emulator = await startS3Emulator({ buckets: [BUCKET] });
  process.env.AWS_ACCESS_KEY_ID = emulator.env.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = emulator.env.AWS_SECRET_ACCESS_KEY;
});
afterAll(async () => {
  await emulator?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const key = (n: number) => n.toString(16).padStart(64, '0');
const adapters: { name: string; open: () => OutputStorage }[] = [
  { name: 'local directory', open: () => createLocalStorage(mkdtempSync(path.join(scratch, 'local-'))) },
  {
    name: 'S3 (emulator)',
    open: () =>
      createS3Storage({
        kind: 's3',
        bucket: BUCKET,
        prefix: `run-${Math.random().toString(36).slice(2)}`,
        endpoint: emulator.endpoint,
        publicEndpoint: undefined,
        region: 'us-east-1',
        forcePathStyle: true,
      }),
  },
];

for (const adapter of adapters) {
  describe(`piece store: ${adapter.name}`, () => {
    test('stores, reads whole, lists with sizes, deletes (twice is fine)', async () => {
      const storage = adapter.open();
      try {
        const a = pieceName('shared', key(1), 'static');
        const b = pieceName('shared', key(2), 'audio');
        assert.equal(await storage.pieces.get(a), null);
        await storage.pieces.put(a, Buffer.from('static piece'));
        await storage.pieces.put(b, Buffer.alloc(1000, 7));
        assert.equal((await storage.pieces.get(a))?.toString(), 'static piece');
        const listed = (await storage.pieces.list(PIECES_ROOT)).map((p) => [p.name, p.bytes]).sort();
        assert.deepEqual(listed, [
          [a, 12],
          [b, 1000],
        ]);
        await storage.pieces.delete(a);
        await storage.pieces.delete(a);
        assert.equal(await storage.pieces.get(a), null);
        await storage.pieces.touch(a); // a missing piece is not an error
        assert.throws(() => pieceName('shared', '../../etc/passwd', 'static'), TypeError);
        await assert.rejects(storage.pieces.get('pieces/shared/../../x.static'), TypeError);
      } finally {
        await storage.close();
      }
    });

    test('touch moves a piece to the front of the LRU order, for every process sharing the storage', { timeout: 20_000 }, async () => {
      const storage = adapter.open();
      try {
        const a = pieceName('shared', key(3), 'fade');
        await storage.pieces.put(a, Buffer.from('x'));
        const before = (await storage.pieces.list(PIECES_ROOT))[0].lastUsed.getTime();
        // S3's LastModified has one-second resolution.
        await new Promise((r) => setTimeout(r, 1100));
        const seen = emulator.requests.length;
        await storage.pieces.touch(a);
        if (storage.kind === 's3') {
          // S3 moves LastModified on a copy onto itself with replaced metadata; the emulator keeps the
          // old time, so here the request itself is what is checked.
          const copy = emulator.requests.slice(seen).find((r) => r.line.startsWith('PUT ') && r.headers['x-amz-copy-source']);
          assert.ok(copy, 'a server-side copy onto itself');
          assert.equal(copy.headers['x-amz-metadata-directive'], 'REPLACE');
        } else {
          const after = (await storage.pieces.list(PIECES_ROOT))[0];
          assert.ok(after.lastUsed.getTime() > before, `${after.lastUsed.toISOString()} after ${new Date(before).toISOString()}`);
        }
        assert.equal((await storage.pieces.get(a))?.toString(), 'x', 'touch keeps the bytes');
      } finally {
        await storage.close();
      }
    });

    test("deleting a job's output removes the pieces of its client that no other job of theirs uses", async () => {
      const storage = adapter.open();
      try {
        const alice = pieceScope('client', 'alice');
        const bob = pieceScope('client', 'bob');
        const [x, y, z] = [pieceName(alice, key(10), 'static'), pieceName(alice, key(11), 'fade'), pieceName(bob, key(10), 'static')];
        for (const n of [x, y, z]) await storage.pieces.put(n, Buffer.from(n));
        await storage.pieces.put(manifestName(alice, 'job-a'), Buffer.from(JSON.stringify([x, y])));
        await storage.pieces.put(manifestName(alice, 'job-b'), Buffer.from(JSON.stringify([x])));
        await storage.pieces.put(manifestName(bob, 'job-c'), Buffer.from(JSON.stringify([z])));
        await deleteJobOutput(storage, { id: 'job-a', client: 'alice' });
        const left = async () => (await storage.pieces.list(PIECES_ROOT)).map((p) => p.name).sort();
        assert.deepEqual(await left(), [manifestName(alice, 'job-b'), x, manifestName(bob, 'job-c'), z].sort());
        await deleteJobOutput(storage, { id: 'job-b', client: 'alice' });
        assert.deepEqual(await left(), [manifestName(bob, 'job-c'), z].sort(), "bob's pieces stay");
      } finally {
        await storage.close();
      }
    });
  });
}

test('a local write leaves no temp file behind and replaces a piece whole', async () => {
  const dir = mkdtempSync(path.join(scratch, 'atomic-'));
  const storage = createLocalStorage(dir);
  const a = pieceName('shared', key(20), 'still');
  await storage.pieces.put(a, Buffer.alloc(100_000, 1));
  await storage.pieces.put(a, Buffer.alloc(10, 2));
  assert.deepEqual(await storage.pieces.get(a), Buffer.alloc(10, 2));
  assert.deepEqual(readdirSync(path.join(dir, 'pieces', 'shared')), [`${key(20)}.still`]);
});
