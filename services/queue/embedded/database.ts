/** Opens the embedded backend's SQLite file and creates its tables. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** The database handle type the embedded modules share. */
export type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  finished_at INTEGER,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_status_created ON jobs (status, created_at DESC, id DESC);
CREATE TABLE IF NOT EXISTS queue (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('waiting', 'active', 'delayed')),
  run_at INTEGER NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  carrier TEXT NOT NULL,
  enqueued_at INTEGER NOT NULL,
  worker_id TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS queue_state_run ON queue (state, run_at);
CREATE TABLE IF NOT EXISTS workers (
  id TEXT PRIMARY KEY,
  hostname TEXT NOT NULL,
  pid INTEGER NOT NULL,
  concurrency INTEGER NOT NULL,
  active INTEGER NOT NULL,
  heartbeat_ms INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
);
`;

/** Opens (creating if needed) `<dataDir>/render.db` in WAL mode with the schema in place. */
export function openDatabase(dataDir: string): Db {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'render.db'));
  db.pragma('journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
  db.pragma('synchronous = NORMAL');
  // Another process (a CLI, a second service) may hold the write lock briefly.
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  return db;
}
