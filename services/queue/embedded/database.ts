/** Opens the embedded backend's SQLite file and brings its schema to the current version. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations';

/** The database handle type the embedded modules share. */
export type Db = Database.Database;

/** Opens (creating if needed) `<dataDir>/render.db` in WAL mode with the schema migrated to the current version. */
export function openDatabase(dataDir: string): Db {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'render.db'));
  db.pragma('journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
  db.pragma('synchronous = NORMAL');
  // Another process (a CLI, a second service) may hold the write lock briefly.
  db.pragma('busy_timeout = 5000');
  migrate(db);
  // Keeps the planner's statistics current for the summary's aggregate queries (cheap; only analyses what changed a lot).
  db.pragma('optimize');
  return db;
}
