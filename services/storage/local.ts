/**
 * The local-directory adapter: videos are files in one folder (RENDER_OUTPUT_DIR, the outputs
 * folder under RENDER_DATA_DIR, or a file:// RENDER_STORAGE_URL). Right for one host, or for
 * several hosts that mount one shared filesystem there. Writes go through a temp name in the same
 * folder and a rename, so readers never see a half-written video.
 */
import { createReadStream } from 'node:fs';
import { access, constants, copyFile, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { classifyError } from '../shared/errors/classify';
import { OutputNotFoundError, RenderError, StorageError } from '../shared/errors';
import type { ByteRange, ObjectInfo, ObjectLocation, ObjectRead, OutputStorage, PieceStore, PutOptions } from './contract';
import { localPieceStore } from './local-pieces';
import { assertKey, attemptKey, isValidKey, jobKeyPrefix } from './keys';

/** Opens the local adapter on `dir` (created on first write). */
export function createLocalStorage(dir: string): OutputStorage {
  return new LocalStorage(path.resolve(dir));
}

class LocalStorage implements OutputStorage {
  readonly kind = 'local' as const;
  readonly endpoint = null;
  readonly description: string;
  readonly pieces: PieceStore;

  constructor(private readonly dir: string) {
    this.description = `file://${dir}`;
    this.pieces = localPieceStore(dir);
  }

  keyFor(jobId: string, attempt: number): string {
    return attemptKey(jobId, attempt);
  }

  keyForLegacyPath(outputPath: string): string | null {
    const resolved = path.resolve(outputPath);
    const name = path.basename(resolved);
    return path.dirname(resolved) === this.dir && isValidKey(name) ? name : null;
  }

  locate(key: string): ObjectLocation {
    return { container: this.dir, name: key };
  }

  async put(key: string, sourceFile: string, options: PutOptions): Promise<ObjectInfo> {
    const finalPath = this.pathOf(key);
    const tmpPath = path.join(this.dir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      options.signal?.throwIfAborted();
      await mkdir(this.dir, { recursive: true });
      await moveInto(sourceFile, tmpPath);
      options.signal?.throwIfAborted();
      await rename(tmpPath, finalPath);
      return infoOf(await stat(finalPath));
    } catch (err) {
      await unlink(tmpPath).catch(() => undefined);
      throw storageFailure(err, `storing ${key}`);
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const file = this.pathOf(key);
    try {
      return infoOf(await stat(file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw storageFailure(err, `reading ${key}`);
    }
  }

  async read(key: string, range?: ByteRange): Promise<ObjectRead> {
    const file = this.pathOf(key);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      // Opening first turns a missing file into a clean 404 before any byte is promised.
      handle = await open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new OutputNotFoundError(`no stored video under ${key}`);
      throw storageFailure(err, `reading ${key}`);
    }
    try {
      const { size } = await handle.stat();
      const body = createReadStream('', { fd: handle, start: range?.start, end: range?.end, autoClose: true });
      return { body, totalBytes: size, range: range ?? null };
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw storageFailure(err, `reading ${key}`);
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await unlink(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw storageFailure(err, `deleting ${key}`);
    }
  }

  async deleteJob(jobId: string): Promise<number> {
    const prefix = jobKeyPrefix(jobId);
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw storageFailure(err, `listing ${jobId}`);
    }
    // Temp files of an upload a crashed worker left behind (`.<key>.<pid>.<rand>.tmp`) go too.
    const mine = names.filter((n) => (n.startsWith(prefix) && isValidKey(n)) || (n.startsWith(`.${prefix}`) && n.endsWith('.tmp')));
    let deleted = 0;
    for (const name of mine) {
      try {
        await unlink(path.join(this.dir, name));
        if (!name.startsWith('.')) deleted++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw storageFailure(err, `deleting ${name}`);
      }
    }
    return deleted;
  }

  async presignGet(): Promise<string | null> {
    return null;
  }

  async ping(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
      await access(this.dir, constants.W_OK);
    } catch (err) {
      throw storageFailure(err, `the output directory ${this.dir} is not writable`);
    }
  }

  async close(): Promise<void> {}

  private pathOf(key: string): string {
    assertKey(key);
    return path.join(this.dir, key);
  }
}

function infoOf(s: { size: number; mtime: Date }): ObjectInfo {
  return { bytes: s.size, etag: null, lastModified: s.mtime };
}

async function moveInto(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    // The scratch dir may be on another filesystem (tmpfs); copy, then the final rename keeps the publish atomic.
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyFile(from, to);
    await unlink(from).catch(() => undefined);
  }
}

/** File-system failures become storage errors (ENOSPC and friends keep their system code). */
function storageFailure(err: unknown, what: string): RenderError {
  if (err instanceof RenderError) return err;
  if ((err as { name?: unknown })?.name === 'AbortError') return classifyError(err);
  const classified = classifyError(err);
  if (classified instanceof StorageError) return classified;
  const code = (err as NodeJS.ErrnoException)?.code ?? null;
  return new StorageError(`${what}: ${err instanceof Error ? err.message : String(err)}`, code, { cause: err });
}
