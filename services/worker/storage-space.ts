/**
 * Free space on the volumes a worker writes to: `data` (outputs and the embedded database) and
 * `scratch` (per-attempt files under `<dataDir>/scratch`). Exported as `render_storage_free_bytes{volume}`,
 * and a job is not started while either is below RENDER_MIN_FREE_BYTES: it stays `queued` and the
 * worker checks again, instead of failing the job halfway through an encode on a full disk.
 */
import { statfsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../shared/config';
import { scratchRoot } from './scratch';

/** The volumes checked, by label. */
export function volumes(config: Pick<Readonly<Config>, 'dataDir'>): Record<'data' | 'scratch', string> {
  return { data: config.dataDir, scratch: scratchRoot(config.dataDir) };
}

/** Free bytes (for unprivileged users) of each volume; null when a path cannot be read. */
export function freeBytes(paths: Record<string, string>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [name, dir] of Object.entries(paths)) {
    out[name] = freeOf(dir);
  }
  return out;
}

/** Free bytes of the volume holding `dir`, or of its nearest existing parent (the scratch root appears with the first job). */
function freeOf(dir: string): number | null {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    try {
      const s = statfsSync(current);
      return s.bavail * s.bsize;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(current) === current) return null;
    }
  }
}

/** The volumes below `minFree` bytes (empty when there is room). */
export function lowVolumes(paths: Record<string, string>, minFree: number): string[] {
  if (minFree <= 0) return [];
  return Object.entries(freeBytes(paths))
    .filter(([, bytes]) => bytes !== null && bytes < minFree)
    .map(([name]) => name);
}

const ROOM_CACHE_MS = 1000;
const roomSeen = new Map<string, number>();

/**
 * Resolves once every volume has `minFree` bytes, checking every `intervalMs`; resolves false if
 * `signal` fires first (cancel or shutdown). `onWait` is called once when waiting starts.
 */
export async function waitForFreeSpace(
  paths: Record<string, string>,
  minFree: number,
  signal: AbortSignal,
  onWait: (low: string[]) => void,
  intervalMs = 5000,
): Promise<boolean> {
  // A burst of jobs need not statfs each: a check that found room holds for a second.
  const key = `${minFree}|${Object.values(paths).join('|')}`;
  if ((roomSeen.get(key) ?? 0) > Date.now() - ROOM_CACHE_MS) return true;
  let low = lowVolumes(paths, minFree);
  if (low.length === 0) {
    roomSeen.set(key, Date.now());
    return true;
  }
  onWait(low);
  while (low.length > 0) {
    if (signal.aborted) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, intervalMs);
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
    low = lowVolumes(paths, minFree);
  }
  return !signal.aborted;
}
