/**
 * The render piece cache on the videos' own storage (storage/contract.ts `pieces`), so every worker
 * sharing that storage reuses every other's pieces. Each stored object is a one-line header
 * (`RP1 <sha256 of the body> <body bytes>`) and the piece's bytes: every read checks both, and a
 * truncated or corrupt object is deleted and reported as a miss, so it is rebuilt and never
 * shipped. Writes are atomic (the store's contract). The cache is bounded by bytes
 * (RENDER_PIECE_CACHE_BYTES): after each render the least recently used pieces of the whole cache
 * go until it fits; 0 turns it off (this worker then neither reads, writes nor evicts: a fleet whose
 * other workers keep the cache on keeps it whole, and pieces an earlier run left go with their
 * jobs' deletion or retention). A failing cache never
 * fails a render: a lookup that errs is a miss, a write that errs is skipped.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { OutputStorage } from '../../storage/contract';
import {
  isPieceName,
  manifestName,
  pieceName,
  pieceScope,
  PIECES_ROOT,
  type PieceKind,
  type PieceScopeMode,
} from '../../storage/piece-names';
import type { Logger } from '../../telemetry/logger';
import { recordPieceCacheSize, recordPieceLookup } from '../../telemetry/metrics';
import { sha256 } from './piece-key';

/** One piece a render uses. */
export interface PieceRef {
  key: string;
  kind: PieceKind;
}

/** The cache as one render sees it (its scope chosen). */
export interface PieceCache {
  readonly enabled: boolean;
  /** Writes the piece to `dest` and returns true when the cache holds it intact; false otherwise. */
  restore(piece: PieceRef, dest: string): Promise<boolean>;
  /** Stores the file `source` as `piece`. */
  save(piece: PieceRef, source: string): Promise<void>;
  /** Records the pieces job `jobId` uses (before it reads any), so forgetting another job never removes them. */
  recordUse(jobId: string, pieces: PieceRef[]): Promise<void>;
  /** Evicts least recently used pieces until the cache fits its bound. */
  evict(): Promise<void>;
}

/** Cache settings (Config.pieceCache), and the free space the worker keeps (RENDER_MIN_FREE_BYTES). */
export interface PieceCacheSettings {
  maxBytes: number;
  scope: PieceScopeMode;
  minFreeBytes?: number;
}

const HEADER = /^RP1 ([a-f0-9]{64}) (\d+)\n/;

/** The stored form of a piece's bytes. */
export function framePiece(body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`RP1 ${sha256(body)} ${body.length}\n`, 'ascii'), body]);
}

/** The piece's bytes from its stored form, or null when it is truncated, corrupt or not a piece. */
export function unframePiece(stored: Buffer): Buffer | null {
  const m = HEADER.exec(stored.subarray(0, 100).toString('latin1'));
  if (!m) return null;
  const body = stored.subarray(m[0].length);
  if (body.length !== Number(m[2]) || sha256(body) !== m[1]) return null;
  return body;
}

let evicting: Promise<void> | undefined;

/** The cache for a render of `client`'s job on `storage`. */
export function pieceCacheFor(storage: OutputStorage, settings: PieceCacheSettings, client: string, logger?: Logger): PieceCache {
  const scope = pieceScope(settings.scope, client);
  const store = storage.pieces;
  const enabled = settings.maxBytes > 0;
  const warn = (what: string, err: unknown) =>
    logger?.warn({ err: err instanceof Error ? err.message : String(err) }, `piece cache: ${what}`);
  return {
    enabled,
    async restore(piece, dest) {
      if (!enabled) return false;
      const name = pieceName(scope, piece.key, piece.kind);
      let stored: Buffer | null;
      try {
        stored = await store.get(name);
      } catch (err) {
        warn('read failed, treated as a miss', err);
        recordPieceLookup(piece.kind, 'miss');
        return false;
      }
      if (stored === null) {
        recordPieceLookup(piece.kind, 'miss');
        return false;
      }
      const body = unframePiece(stored);
      if (body === null) {
        // Never shipped: dropped here and rebuilt by the caller.
        recordPieceLookup(piece.kind, 'corrupt');
        logger?.warn({ piece: name }, 'piece cache: a stored piece failed its checksum; discarded and rebuilt');
        await store.delete(name).catch((err: unknown) => warn('could not delete a corrupt piece', err));
        return false;
      }
      await writeFile(dest, body);
      recordPieceLookup(piece.kind, 'hit');
      await store.touch(name).catch((err: unknown) => warn('could not mark a piece used', err));
      return true;
    },
    async save(piece, source) {
      if (!enabled) return;
      try {
        await store.put(pieceName(scope, piece.key, piece.kind), framePiece(await readFile(source)));
      } catch (err) {
        warn('write failed, piece not cached', err);
      }
    },
    async recordUse(jobId, pieces) {
      if (!enabled) return;
      const names = [...new Set(pieces.map((p) => pieceName(scope, p.key, p.kind)))];
      try {
        await store.put(manifestName(scope, jobId), Buffer.from(JSON.stringify(names)));
      } catch (err) {
        warn("could not record the job's pieces", err);
      }
    },
    async evict() {
      if (!enabled) return;
      // One pass at a time per process; passes of several workers racing only evict a little more.
      evicting ??= evictTo(storage, settings.maxBytes, settings.minFreeBytes ?? 0)
        .then(() => undefined)
        .catch((err: unknown) => warn('eviction failed', err))
        .finally(() => {
          evicting = undefined;
        });
      await evicting;
    },
  };
}

/**
 * Deletes least recently used pieces (every scope) until they add up to at most `maxBytes`, and,
 * on a local disk with less than `minFreeBytes` free, until the shortfall is given back too: the
 * cache never holds the space the free-space gate keeps for renders.
 */
export async function evictTo(storage: OutputStorage, maxBytes: number, minFreeBytes = 0): Promise<{ held: number; evicted: number }> {
  const pieces = (await storage.pieces.list(PIECES_ROOT)).filter((p) => isPieceName(p.name));
  pieces.sort((a, b) => a.lastUsed.getTime() - b.lastUsed.getTime());
  let held = pieces.reduce((n, p) => n + p.bytes, 0);
  const free = minFreeBytes > 0 ? await storage.pieces.freeBytes() : null;
  const bound = free === null ? maxBytes : Math.min(maxBytes, Math.max(0, held - Math.max(0, minFreeBytes - free)));
  let evicted = 0;
  for (const p of pieces) {
    if (held <= bound) break;
    await storage.pieces.delete(p.name);
    held -= p.bytes;
    evicted += p.bytes;
  }
  recordPieceCacheSize(held, evicted);
  return { held, evicted };
}
