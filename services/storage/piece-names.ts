/**
 * How the piece cache names its objects, the same for every adapter: `pieces/<scope>/<key>.<kind>` (kind: a slide's
 * static GOP, its still, its WAV, a fade, a spoken narration, or a deck's joined AAC track)
 * for a piece and `pieces/<scope>/jobs/<jobId>` for the list of pieces a job uses. The scope is
 * the job's client (hashed, so a client name never becomes a path) unless the cache is shared, so
 * one client never reads, or times, another's pieces. Deleting a job's output (or retention) drops
 * its list and every piece of its scope that no remaining list names.
 */
import { createHash } from 'node:crypto';
import type { OutputStorage } from './contract';

/** Every name the cache uses starts with this. */
export const PIECES_ROOT = 'pieces/';
/** The kinds of piece, as in `render_piece_cache_requests_total{kind}`. */
export const PIECE_KINDS = ['static', 'still', 'fade', 'audio', 'narration', 'track'] as const;
export type PieceKind = (typeof PIECE_KINDS)[number];
/** Who may reuse whose pieces (RENDER_PIECE_CACHE_SCOPE). */
export type PieceScopeMode = 'client' | 'shared';

const NAME = /^pieces\/[a-z0-9-]{1,40}\/(jobs\/[A-Za-z0-9_-]{1,128}|[a-f0-9]{64}\.(static|still|fade|audio|narration|track))$/;

/** The scope a job's pieces live in. */
export function pieceScope(mode: PieceScopeMode, client: string): string {
  if (mode === 'shared') return 'shared';
  return `c-${createHash('sha256').update(client).digest('hex').slice(0, 32)}`;
}

/** The object holding piece `key` of `kind` in `scope`. */
export function pieceName(scope: string, key: string, kind: PieceKind): string {
  return checked(`${PIECES_ROOT}${scope}/${key}.${kind}`);
}

/** The object listing the pieces job `jobId` uses. */
export function manifestName(scope: string, jobId: string): string {
  return checked(`${PIECES_ROOT}${scope}/jobs/${jobId}`);
}

/** True for a piece (not a job's list). */
export function isPieceName(name: string): boolean {
  return NAME.test(name) && !name.includes('/jobs/');
}

/** Throws a TypeError for a name the cache never produces: names never reach a path or a URL unchecked. */
export function assertPieceName(name: string): void {
  if (!NAME.test(name)) throw new TypeError(`invalid piece name ${JSON.stringify(name)}`);
}

function checked(name: string): string {
  assertPieceName(name);
  return name;
}

/**
 * Forgets job `jobId`'s pieces: its list goes, then every piece of its scope that no other job's
 * list names. Returns how many pieces were deleted. A render running meanwhile wrote its list
 * before reading any piece, so what it uses is named and stays.
 */
export async function forgetJobPieces(storage: OutputStorage, scope: string, jobId: string): Promise<number> {
  const store = storage.pieces;
  await store.delete(manifestName(scope, jobId));
  const objects = await store.list(`${PIECES_ROOT}${scope}/`);
  const used = new Set<string>();
  for (const o of objects.filter((x) => x.name.includes('/jobs/'))) {
    const body = await store.get(o.name);
    for (const name of body ? (JSON.parse(body.toString('utf8')) as string[]) : []) used.add(name);
  }
  let deleted = 0;
  for (const o of objects) {
    if (!isPieceName(o.name) || used.has(o.name)) continue;
    await store.delete(o.name);
    deleted++;
  }
  return deleted;
}
