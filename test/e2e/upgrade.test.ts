/**
 * Upgrades keep data: the new code starts on a data folder written by the previous release's layout
 * (schema without a version, decks inline in the job JSON, queue entries without generations) and
 * serves its completed job and finishes its queued one.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../../services/queue/embedded/migrations';
import { startService } from '../support/service';
import { getJob, waitForStatus } from '../support/jobs';

/** The previous release's schema, verbatim (services/queue/embedded/database.ts before schema versions). */
const PREVIOUS_SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at INTEGER NOT NULL, finished_at INTEGER, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_status_created ON jobs (status, created_at DESC, id DESC);
CREATE TABLE IF NOT EXISTS queue (id TEXT PRIMARY KEY, state TEXT NOT NULL CHECK (state IN ('waiting', 'active', 'delayed')), run_at INTEGER NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0, carrier TEXT NOT NULL, enqueued_at INTEGER NOT NULL, worker_id TEXT, cancel_requested INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS queue_state_run ON queue (state, run_at);
CREATE TABLE IF NOT EXISTS workers (id TEXT PRIMARY KEY, hostname TEXT NOT NULL, pid INTEGER NOT NULL, concurrency INTEGER NOT NULL,
  active INTEGER NOT NULL, heartbeat_ms INTEGER NOT NULL, last_seen INTEGER NOT NULL);
`;

/** A record as the previous release stored it: one JSON document, deck included. */
function previousRecord(id: string, status: string, createdAt: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    title: `old ${status}`,
    status,
    stage: null,
    progress: 0,
    attempts: 0,
    maxAttempts: 3,
    createdAt,
    startedAt: null,
    finishedAt: null,
    durationSeconds: null,
    queueWaitSeconds: null,
    error: null,
    output: null,
    outputPath: null,
    traceId: null,
    traceCarrier: {},
    request: {
      title: `old ${status}`,
      slides: [{ title: 'one', content: 'from the previous release', duration: 1, transition: 'none' }],
      config: { width: 160, height: 120, fps: 10, quality: 'low', voice: 'pt-br' },
    },
    updatedAt: createdAt,
    ...extra,
  };
}

test('the new code opens a data folder of the previous layout: old jobs are served and queued ones run', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-upgrade-'));
  try {
    const outputs = path.join(dataDir, 'outputs');
    mkdirSync(outputs, { recursive: true });
    const video = Buffer.from('an mp4 written by the previous release');
    writeFileSync(path.join(outputs, 'old-done.mp4'), video);
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const done = previousRecord('old-done', 'completed', iso(now - 60_000), {
      attempts: 1,
      finishedAt: iso(now - 50_000),
      durationSeconds: 10,
      output: { url: '/api/jobs/old-done/output', bytes: video.length, durationSeconds: 1, width: 160, height: 120 },
      outputPath: path.join(outputs, 'old-done.mp4'),
    });
    const queued = previousRecord('old-queued', 'queued', iso(now - 30_000));
    const db = new Database(path.join(dataDir, 'render.db'));
    db.exec(PREVIOUS_SCHEMA);
    const insert = db.prepare('INSERT INTO jobs (id, status, created_at, finished_at, data) VALUES (?, ?, ?, ?, ?)');
    insert.run(done.id, done.status, now - 60_000, now - 50_000, JSON.stringify(done));
    insert.run(queued.id, queued.status, now - 30_000, null, JSON.stringify(queued));
    db.prepare("INSERT INTO queue (id, state, run_at, attempt, carrier, enqueued_at) VALUES (?, 'waiting', ?, 0, '{}', ?)").run(
      queued.id,
      now - 30_000,
      now - 30_000,
    );
    assert.equal(db.pragma('user_version', { simple: true }), 0);
    db.close();

    const svc = await startService({ dataDir });
    try {
      const old = await getJob(svc.url, 'old-done');
      assert.equal(old.status, 'completed');
      assert.equal(old.slides, 1, 'the deck moved to its own table and is still there');
      const res = await fetch(`${svc.url}/api/jobs/old-done/output`);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), video);
      const ran = await waitForStatus(svc.url, 'old-queued', ['completed', 'failed'], 60_000);
      assert.equal(ran.status, 'completed', JSON.stringify(ran.error));
      const list = (await (await fetch(`${svc.url}/api/jobs`)).json()) as { jobs: { id: string }[] };
      assert.deepEqual(
        list.jobs.map((j) => j.id),
        ['old-queued', 'old-done'],
      );
    } finally {
      await svc.stop();
    }
    const after = new Database(path.join(dataDir, 'render.db'), { readonly: true });
    assert.equal(after.pragma('user_version', { simple: true }), SCHEMA_VERSION, 'migrated to the current schema version');
    after.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
