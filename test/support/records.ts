/** Reads job records straight from an embedded data folder (while no service runs on it), for tests. */
import path from 'node:path';
import Database from 'better-sqlite3';

/** The stored small record of `id` (status, attempts, error…), or null. */
export function storedRecord(dataDir: string, id: string): { status: string; attempts: number; error: { code: string } | null } | null {
  const db = new Database(path.join(dataDir, 'render.db'), { readonly: true });
  try {
    const row = db.prepare<[string], { data: string }>('SELECT data FROM jobs WHERE id = ?').get(id);
    return row ? JSON.parse(row.data) : null;
  } finally {
    db.close();
  }
}

/** True while `pid` is a live process that is not a zombie. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8') as string;
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
