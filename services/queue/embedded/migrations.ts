/**
 * Schema versions of the embedded database, kept in SQLite's `user_version`. A data folder written
 * by any earlier release opens under this one: each step runs once, in order, in one transaction.
 * Version 0 is a file from before versions existed (or a new file); step 1 is that original layout,
 * written with IF NOT EXISTS so it is a no-op on such a file.
 */
import type Database from 'better-sqlite3';

const V1_ORIGINAL_LAYOUT = `
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

/**
 * Version 2: queue entries carry the record generation they run (cancel-then-retry); the deck is
 * stored once in its own table, so status and progress writes rewrite only the small record; the
 * columns the admin summary aggregates are real columns; webhook deliveries go through an outbox.
 */
const V2_GENERATIONS_DECKS_OUTBOX = `
ALTER TABLE queue ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
CREATE TABLE job_decks (id TEXT PRIMARY KEY, request TEXT NOT NULL);
INSERT INTO job_decks (id, request) SELECT id, json_extract(data, '$.request') FROM jobs WHERE json_extract(data, '$.request') IS NOT NULL;
UPDATE jobs SET data = json_remove(data, '$.request');
ALTER TABLE jobs ADD COLUMN duration_seconds REAL;
ALTER TABLE jobs ADD COLUMN queue_wait_seconds REAL;
ALTER TABLE jobs ADD COLUMN error_category TEXT;
UPDATE jobs SET
  duration_seconds = json_extract(data, '$.durationSeconds'),
  queue_wait_seconds = json_extract(data, '$.queueWaitSeconds'),
  error_category = json_extract(data, '$.error.category');
CREATE INDEX jobs_summary_duration ON jobs (status, duration_seconds, created_at);
CREATE INDEX jobs_summary_wait ON jobs (created_at, queue_wait_seconds);
CREATE TABLE webhook_outbox (
  event_id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  event TEXT NOT NULL,
  url TEXT NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX webhook_outbox_next ON webhook_outbox (next_at);
`;

/** Version 3: Idempotency-Key claims per client (POST /api/jobs), kept 24 h. */
const V3_IDEMPOTENCY_KEYS = `
CREATE TABLE idempotency_keys (
  client TEXT NOT NULL,
  key TEXT NOT NULL,
  job_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (client, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
`;

/**
 * Version 4: the owning client as an indexed column. The per-client active-job cap is checked on
 * every submission and a client's list filters by it; read from the JSON record, both scanned
 * every active job (POST /api/jobs cost ~2 ms of CPU with a few thousand queued jobs).
 */
const V4_CLIENT_COLUMN = `
ALTER TABLE jobs ADD COLUMN client TEXT NOT NULL DEFAULT 'anonymous';
UPDATE jobs SET client = COALESCE(json_extract(data, '$.client'), 'anonymous');
CREATE INDEX jobs_client_status ON jobs (client, status);
CREATE INDEX jobs_client_created ON jobs (client, created_at DESC, id DESC);
`;

/**
 * Version 5: an Idempotency-Key keeps the fingerprint of the request that claimed it (a reuse with
 * another body is refused) and when it was claimed (a claim whose job is not there yet is a first
 * request still in flight). Keys claimed before have neither: they replay their job as before.
 */
const V5_IDEMPOTENCY_FINGERPRINTS = `
ALTER TABLE idempotency_keys ADD COLUMN fingerprint TEXT;
ALTER TABLE idempotency_keys ADD COLUMN claimed_at INTEGER NOT NULL DEFAULT 0;
`;

/** Every step, in order; the database's version is the number of steps applied. */
export const MIGRATIONS: readonly string[] = [
  V1_ORIGINAL_LAYOUT,
  V2_GENERATIONS_DECKS_OUTBOX,
  V3_IDEMPOTENCY_KEYS,
  V4_CLIENT_COLUMN,
  V5_IDEMPOTENCY_FINGERPRINTS,
];

/** The version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Applies the missing steps; refuses a file written by a newer release instead of corrupting it. */
export function migrate(db: Database.Database): void {
  const tx = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new Error(`render.db has schema version ${current}, newer than this release's ${SCHEMA_VERSION}; upgrade render-o11y`);
    }
    for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  });
  // IMMEDIATE: two processes opening the same new file must not both run the steps.
  tx.immediate();
}
