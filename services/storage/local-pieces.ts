/**
 * The piece cache in a local folder (`pieces/` next to the videos). Writes go to a temp name in the
 * same folder and are renamed, so a crash never leaves half a piece under its name; a read marks
 * the file's mtime, which is the LRU order every process on this folder shares.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, stat, statfs, unlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PieceStore, StoredPiece } from './contract';
import { assertPieceName, PIECES_ROOT } from './piece-names';

export function localPieceStore(dir: string): PieceStore {
  const pathOf = (name: string) => {
    assertPieceName(name);
    return path.join(dir, ...name.split('/'));
  };
  return {
    async get(name) {
      try {
        return await readFile(pathOf(name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async put(name, body) {
      const file = pathOf(name);
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await writeFile(tmp, body);
        await rename(tmp, file);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
    },
    async touch(name) {
      const now = new Date();
      await utimes(pathOf(name), now, now).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
    async list(prefix) {
      const root = path.join(dir, PIECES_ROOT);
      let entries: string[];
      try {
        entries = (await readdir(root, { recursive: true })) as string[];
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      const out: StoredPiece[] = [];
      for (const rel of entries) {
        const name = PIECES_ROOT + rel.split(path.sep).join('/');
        if (!name.startsWith(prefix) || path.basename(rel).startsWith('.')) continue;
        try {
          const s = await stat(path.join(root, rel));
          if (s.isFile()) out.push({ name, bytes: s.size, lastUsed: s.mtime });
        } catch (err) {
          // Evicted or forgotten by another process meanwhile.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
      return out;
    },
    async freeBytes() {
      try {
        const s = await statfs(dir);
        return s.bavail * s.bsize;
      } catch {
        return null;
      }
    },
    async delete(name) {
      await unlink(pathOf(name)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
  };
}
