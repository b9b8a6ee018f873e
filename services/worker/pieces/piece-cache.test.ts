import { test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { createLocalStorage } from '../../storage/local';
import { pieceScope, PIECES_ROOT } from '../../storage/piece-names';
import { evictTo, framePiece, pieceCacheFor, unframePiece } from './piece-cache';

test('a stored piece reads back whole; any flipped byte or cut end is refused', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.nat(), fc.nat(), (bytes, at, cut) => {
      const body = Buffer.from(bytes);
      const stored = framePiece(body);
      assert.deepEqual(unframePiece(stored), body);
      const flipped = Buffer.from(stored);
      flipped[at % flipped.length] ^= 0x01;
      assert.equal(unframePiece(flipped), null);
      assert.equal(unframePiece(stored.subarray(0, stored.length - 1 - (cut % stored.length))), null);
    }),
    { numRuns: 300 },
  );
});

function withStorage(fn: (dir: string) => Promise<void>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'piece-cache-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}
const key = (n: number) => n.toString(16).padStart(64, '0');

test('eviction keeps the cache under its byte bound, least recently used first', () =>
  withStorage(async (dir) => {
    const storage = createLocalStorage(dir);
    const cache = pieceCacheFor(storage, { maxBytes: 10_000_000, scope: 'shared' }, 'anyone');
    const src = path.join(dir, 'src');
    await writeFile(src, Buffer.alloc(1000, 1));
    for (let n = 0; n < 4; n++) await cache.save({ kind: 'static', key: key(n) }, src);
    // Written 0, 1, 2, 3 one minute apart; then 0 is read again.
    for (let n = 0; n < 4; n++) {
      const t = new Date(Date.now() - (10 - n) * 60_000);
      utimesSync(path.join(dir, PIECES_ROOT, 'shared', `${key(n)}.static`), t, t);
    }
    assert.ok(await cache.restore({ kind: 'static', key: key(0) }, path.join(dir, 'out')));
    const stored = framePiece(Buffer.alloc(1000, 1)).length;
    const result = await evictTo(storage, 2 * stored);
    assert.deepEqual(result, { held: 2 * stored, evicted: 2 * stored });
    const left = (await storage.pieces.list(PIECES_ROOT)).map((p) => p.name).sort();
    assert.deepEqual(left, [`pieces/shared/${key(0)}.static`, `pieces/shared/${key(3)}.static`]);
  }));

test('with RENDER_PIECE_CACHE_BYTES=0 this worker neither reads, writes nor evicts (other workers keep their cache)', () =>
  withStorage(async (dir) => {
    const storage = createLocalStorage(dir);
    const src = path.join(dir, 'src');
    await writeFile(src, 'piece');
    await pieceCacheFor(storage, { maxBytes: 1000, scope: 'client' }, 'a').save({ kind: 'fade', key: key(9) }, src);
    const off = pieceCacheFor(storage, { maxBytes: 0, scope: 'client' }, 'a');
    assert.equal(off.enabled, false);
    assert.equal(await off.restore({ kind: 'fade', key: key(9) }, path.join(dir, 'out')), false);
    await off.save({ kind: 'fade', key: key(10) }, src);
    await off.evict();
    assert.deepEqual(
      (await storage.pieces.list(PIECES_ROOT)).map((p) => p.name),
      [`pieces/${pieceScope('client', 'a')}/${key(9)}.fade`],
    );
  }));

test('a corrupt piece is a miss, deleted from the cache', () =>
  withStorage(async (dir) => {
    const storage = createLocalStorage(dir);
    const cache = pieceCacheFor(storage, { maxBytes: 1_000_000, scope: 'shared' }, 'a');
    const src = path.join(dir, 'src');
    await writeFile(src, 'a piece of video');
    await cache.save({ kind: 'static', key: key(1) }, src);
    const file = path.join(dir, PIECES_ROOT, 'shared', `${key(1)}.static`);
    const bytes = await readFile(file);
    await writeFile(file, Buffer.concat([bytes.subarray(0, -1), Buffer.from('X')]));
    assert.equal(await cache.restore({ kind: 'static', key: key(1) }, path.join(dir, 'out')), false);
    assert.equal(await storage.pieces.get(`pieces/shared/${key(1)}.static`), null);
  }));

test('on a disk short of RENDER_MIN_FREE_BYTES the cache gives the shortfall back, oldest pieces first', () =>
  withStorage(async (dir) => {
    const storage = createLocalStorage(dir);
    const cache = pieceCacheFor(storage, { maxBytes: 10_000_000, scope: 'shared' }, 'anyone');
    const src = path.join(dir, 'src');
    const MiB = 1024 * 1024;
    await writeFile(src, Buffer.alloc(2 * MiB, 1));
    for (let n = 0; n < 3; n++) await cache.save({ kind: 'audio', key: key(n) }, src);
    const free = (await storage.pieces.freeBytes()) as number;
    assert.ok(free > 0);
    // 3 MiB more than the disk has free (a margin for other writers on this disk): two of the three 2 MiB pieces go.
    const { evicted, held } = await evictTo(storage, 10_000_000, free + 3 * MiB);
    assert.ok(evicted >= 4 * MiB && held <= 2 * MiB + 100, `evicted ${evicted}, held ${held}`);
  }));
