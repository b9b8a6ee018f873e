/** Job records in SQLite: the JSON document plus the indexed columns lists and summaries filter on. */
import type { JobPage, JobPatch, JobStore, ListOptions } from '../contract';
import { ACTIVE_STATUSES, ANONYMOUS_CLIENT, type JobRecord, type JobStatus } from '../../shared/job';
import { applyJobPatch, decodeCursor, encodeCursor, epochMs, statusAllowed } from '../job-patch';
import type { Db } from './database';

interface Row {
  id: string;
  created_at: number;
  data: string;
}

/** `JobStore` over the embedded database; every method is one statement or one transaction. */
export class SqliteJobStore implements JobStore {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly writeStmt;
  private readonly sinceStmt;
  private readonly updateTx;
  private readonly activeStmt;
  private readonly claimTx;
  private readonly releaseStmt;
  private readonly expireTx;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare('INSERT INTO jobs (id, status, created_at, finished_at, data) VALUES (?, ?, ?, ?, ?)');
    this.getStmt = db.prepare<[string], Row>('SELECT id, created_at, data FROM jobs WHERE id = ?');
    this.writeStmt = db.prepare('UPDATE jobs SET status = ?, finished_at = ?, data = ? WHERE id = ?');
    this.sinceStmt = db.prepare<[number], Row>(
      'SELECT id, created_at, data FROM jobs WHERE created_at >= ? ORDER BY created_at DESC, id DESC',
    );
    // Idempotency keys live in their own table, created here so the jobs schema stays as it is.
    db.exec(`CREATE TABLE IF NOT EXISTS idempotency_keys (
      client TEXT NOT NULL, key TEXT NOT NULL, job_id TEXT NOT NULL, expires_at INTEGER NOT NULL,
      PRIMARY KEY (client, key))`);
    this.activeStmt = db.prepare<[string], { n: number }>(
      `SELECT COUNT(*) AS n FROM jobs WHERE status IN (${ACTIVE_STATUSES.map((s) => `'${s}'`).join(',')}) AND ${CLIENT_SQL} = ?`,
    );
    const findKey = db.prepare<[string, string, number], { job_id: string }>(
      'SELECT job_id FROM idempotency_keys WHERE client = ? AND key = ? AND expires_at > ?',
    );
    const putKey = db.prepare('INSERT OR REPLACE INTO idempotency_keys (client, key, job_id, expires_at) VALUES (?, ?, ?, ?)');
    const purgeKeys = db.prepare('DELETE FROM idempotency_keys WHERE expires_at <= ?');
    this.claimTx = db.transaction((client: string, key: string, jobId: string, ttlMs: number): string | null => {
      const now = Date.now();
      const existing = findKey.get(client, key, now);
      if (existing) return existing.job_id;
      purgeKeys.run(now);
      putKey.run(client, key, jobId, now + ttlMs);
      return null;
    });
    this.releaseStmt = db.prepare('DELETE FROM idempotency_keys WHERE client = ? AND key = ? AND job_id = ?');
    const expired = db.prepare<[number, number], Row>(
      `SELECT id, created_at, data FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?
       AND status IN ('completed', 'failed', 'cancelled') ORDER BY finished_at LIMIT ?`,
    );
    const remove = db.prepare('DELETE FROM jobs WHERE id = ?');
    this.expireTx = db.transaction((beforeMs: number, limit: number): JobRecord[] => {
      const rows = expired.all(beforeMs, limit);
      for (const row of rows) remove.run(row.id);
      return rows.map((r) => JSON.parse(r.data) as JobRecord);
    });
    this.updateTx = db.transaction((id: string, patch: JobPatch, onlyIf?: readonly JobStatus[]): JobRecord | null => {
      const row = this.getStmt.get(id);
      if (!row) return null;
      const current = JSON.parse(row.data) as JobRecord;
      if (!statusAllowed(current.status, onlyIf)) return null;
      const next = applyJobPatch(current, patch);
      this.writeStmt.run(next.status, finishedMs(next), JSON.stringify(next), id);
      return next;
    });
  }

  async create(job: JobRecord): Promise<void> {
    this.insertStmt.run(job.id, job.status, epochMs(job.createdAt), finishedMs(job), JSON.stringify(job));
  }

  async get(id: string): Promise<JobRecord | null> {
    const row = this.getStmt.get(id);
    return row ? (JSON.parse(row.data) as JobRecord) : null;
  }

  async update(id: string, patch: JobPatch, onlyIf?: readonly JobStatus[]): Promise<JobRecord | null> {
    // IMMEDIATE takes the write lock before the read, so no other connection can interleave a write.
    return this.updateTx.immediate(id, patch, onlyIf);
  }

  async list(options: ListOptions): Promise<JobPage> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (options.status) {
      where.push('status = ?');
      params.push(options.status);
    }
    if (options.client) {
      where.push(`${CLIENT_SQL} = ?`);
      params.push(options.client);
    }
    if (options.cursor) {
      const [ms, id] = decodeCursor(options.cursor);
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      params.push(ms, ms, id);
    }
    const limit = Math.max(1, Math.floor(options.limit));
    const sql = `SELECT id, created_at, data FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
    const rows = this.db.prepare<(string | number)[], Row>(sql).all(...params, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      jobs: page.map((r) => JSON.parse(r.data) as JobRecord),
      nextCursor: rows.length > limit && last ? encodeCursor([last.created_at, last.id]) : null,
    };
  }

  async createdSince(sinceMs: number): Promise<JobRecord[]> {
    return this.sinceStmt.all(sinceMs).map((r) => JSON.parse(r.data) as JobRecord);
  }

  async countActive(client: string): Promise<number> {
    return this.activeStmt.get(client)?.n ?? 0;
  }

  async claimIdempotencyKey(client: string, key: string, jobId: string, ttlMs: number): Promise<string | null> {
    return this.claimTx.immediate(client, key, jobId, ttlMs);
  }

  async releaseIdempotencyKey(client: string, key: string, jobId: string): Promise<void> {
    this.releaseStmt.run(client, key, jobId);
  }

  async deleteFinishedBefore(beforeMs: number, limit: number): Promise<JobRecord[]> {
    return this.expireTx.immediate(beforeMs, limit);
  }
}

/** The owner of a row; records written before API keys have no client and belong to `anonymous`. */
const CLIENT_SQL = `COALESCE(json_extract(data, '$.client'), '${ANONYMOUS_CLIENT}')`;

function finishedMs(job: JobRecord): number | null {
  return job.finishedAt ? epochMs(job.finishedAt) : null;
}
