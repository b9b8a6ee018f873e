/**
 * Job records in SQLite: the small mutable record as JSON plus the indexed columns lists and
 * summaries filter and aggregate on; the deck (up to 1 MiB) is written once, in its own table, so a
 * status or progress change never rewrites it.
 */
import type { JobPage, JobPatch, JobStore, ListOptions } from '../contract';
import type { JobRecord, JobStatus } from '../../shared/job';
import type { RenderRequest } from '../../shared/request';
import { applyJobPatch, decodeCursor, encodeCursor, epochMs, statusAllowed } from '../job-patch';
import type { Db } from './database';
import { durationStats, emptyTotals, ERROR_SAMPLES_PER_CATEGORY, type JobFacts } from '../../shared/stats';
import type { ErrorCategory } from '../../shared/errors/categories';

interface Row {
  id: string;
  created_at: number;
  data: string;
  request: string | null;
}

const SELECT = 'SELECT j.id, j.created_at, j.data, d.request FROM jobs j LEFT JOIN job_decks d ON d.id = j.id';

/** `JobStore` over the embedded database; every method is one statement or one transaction. */
export class SqliteJobStore implements JobStore {
  private readonly getStmt;
  private readonly writeStmt;
  private readonly sinceStmt;
  private readonly createTx;
  private readonly updateTx;

  constructor(private readonly db: Db) {
    const insertJob = db.prepare(
      `INSERT INTO jobs (id, status, created_at, finished_at, duration_seconds, queue_wait_seconds, error_category, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertDeck = db.prepare('INSERT INTO job_decks (id, request) VALUES (?, ?)');
    this.getStmt = db.prepare<[string], Row>(`${SELECT} WHERE j.id = ?`);
    const smallStmt = db.prepare<[string], { data: string }>('SELECT data FROM jobs WHERE id = ?');
    this.writeStmt = db.prepare(
      `UPDATE jobs SET status = ?, finished_at = ?, duration_seconds = ?, queue_wait_seconds = ?, error_category = ?, data = ? WHERE id = ?`,
    );
    this.sinceStmt = db.prepare<[number], Row>(`${SELECT} WHERE j.created_at >= ? ORDER BY j.created_at DESC, j.id DESC`);
    this.createTx = db.transaction((job: JobRecord) => {
      const { request, ...small } = job;
      insertJob.run(...columns(job), JSON.stringify(small));
      insertDeck.run(job.id, JSON.stringify(request));
    });
    this.updateTx = db.transaction((id: string, patch: JobPatch, onlyIf?: readonly JobStatus[], owner?: string): JobRecord | null => {
      const row = smallStmt.get(id);
      if (!row) return null;
      // The deck is not read on the write path: patches never change it.
      const current = JSON.parse(row.data) as JobRecord;
      if (!statusAllowed(current.status, onlyIf)) return null;
      if (owner !== undefined && current.attemptId !== owner) return null;
      const { request: _r, ...next } = applyJobPatch(current, patch);
      const [, status, , finished, duration, wait, category] = columns(next as JobRecord);
      this.writeStmt.run(status, finished, duration, wait, category, JSON.stringify(next), id);
      return next as JobRecord;
    });
  }

  async create(job: JobRecord): Promise<void> {
    this.createTx(job);
  }

  async get(id: string): Promise<JobRecord | null> {
    const row = this.getStmt.get(id);
    return row ? toRecord(row) : null;
  }

  async update(id: string, patch: JobPatch, onlyIf?: readonly JobStatus[], owner?: string): Promise<JobRecord | null> {
    // IMMEDIATE takes the write lock before the read, so no other connection can interleave a write.
    const small = this.updateTx.immediate(id, patch, onlyIf, owner);
    if (!small) return null;
    // Callers get the whole record (webhooks need the deck's URL); read the deck only here, off the write lock.
    const deck = this.db.prepare<[string], { request: string }>('SELECT request FROM job_decks WHERE id = ?').get(id);
    return { ...small, request: deck ? (JSON.parse(deck.request) as RenderRequest) : small.request };
  }

  async list(options: ListOptions): Promise<JobPage> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (options.status) {
      where.push('j.status = ?');
      params.push(options.status);
    }
    if (options.cursor) {
      const [ms, id] = decodeCursor(options.cursor);
      where.push('(j.created_at < ? OR (j.created_at = ? AND j.id < ?))');
      params.push(ms, ms, id);
    }
    const limit = Math.max(1, Math.floor(options.limit));
    const sql = `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY j.created_at DESC, j.id DESC LIMIT ?`;
    const rows = this.db.prepare<(string | number)[], Row>(sql).all(...params, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      jobs: page.map(toRecord),
      nextCursor: rows.length > limit && last ? encodeCursor([last.created_at, last.id]) : null,
    };
  }

  async createdSince(sinceMs: number): Promise<JobRecord[]> {
    return this.sinceStmt.all(sinceMs).map(toRecord);
  }

  async summaryFacts(sinceMs: number): Promise<JobFacts> {
    const db = this.db;
    const totals = emptyTotals();
    for (const r of db
      .prepare<[number], { status: JobStatus; n: number }>('SELECT status, COUNT(*) AS n FROM jobs WHERE created_at >= ? GROUP BY status')
      .all(sinceMs)) {
      totals[r.status] = r.n;
    }
    // One REAL column through the covering index (status, created_at, duration_seconds), already sorted.
    const durations = db
      .prepare<[string, number], { d: number }>(
        'SELECT duration_seconds AS d FROM jobs WHERE status = ? AND created_at >= ? AND duration_seconds IS NOT NULL ORDER BY duration_seconds',
      )
;
    const list = (status: JobStatus) => durations.all(status, sinceMs).map((r) => r.d);
    const extreme = (dir: 'ASC' | 'DESC') => {
      const row = db
        .prepare<[number], { id: string; title: string; seconds: number }>(
          `SELECT id, json_extract(data, '$.title') AS title, duration_seconds AS seconds FROM jobs
           WHERE status = 'completed' AND created_at >= ? AND duration_seconds IS NOT NULL
           ORDER BY duration_seconds ${dir}, created_at DESC, id DESC LIMIT 1`,
        )
        .get(sinceMs);
      return row ? { jobId: row.id, title: row.title, seconds: row.seconds } : null;
    };
    const wait = db.prepare<[number], { w: number | null }>('SELECT AVG(queue_wait_seconds) AS w FROM jobs WHERE created_at >= ?').get(sinceMs)!;
    const samples = db.prepare<[number, string, number], { id: string; code: string; message: string; at: string }>(
      `SELECT id, json_extract(data, '$.error.code') AS code, json_extract(data, '$.error.message') AS message,
              COALESCE(json_extract(data, '$.finishedAt'), json_extract(data, '$.updatedAt')) AS at
       FROM jobs WHERE status = 'failed' AND created_at >= ? AND error_category = ?
       ORDER BY at DESC, created_at DESC, id DESC LIMIT ?`,
    );
    const errors = db
      .prepare<[number], { category: ErrorCategory; n: number }>(
        `SELECT error_category AS category, COUNT(*) AS n FROM jobs WHERE status = 'failed' AND created_at >= ? AND error_category IS NOT NULL
         GROUP BY error_category ORDER BY n DESC, error_category`,
      )
      .all(sinceMs)
      .map((r) => ({
        category: r.category,
        count: r.n,
        samples: samples.all(sinceMs, r.category, ERROR_SAMPLES_PER_CATEGORY).map((x) => ({ jobId: x.id, code: x.code, message: x.message, at: x.at })),
      }));
    return {
      totals,
      completed: durationStats(list('completed')),
      failed: durationStats(list('failed')),
      fastest: extreme('ASC'),
      slowest: extreme('DESC'),
      avgQueueWaitSeconds: wait.w,
      errors,
    };
  }

  async idsInStatus(statuses: readonly JobStatus[], limit: number): Promise<string[]> {
    if (statuses.length === 0) return [];
    const marks = statuses.map(() => '?').join(', ');
    return this.db
      .prepare<(string | number)[], { id: string }>(`SELECT id FROM jobs WHERE status IN (${marks}) ORDER BY created_at, id LIMIT ?`)
      .all(...statuses, limit)
      .map((r) => r.id);
  }
}

function toRecord(row: Row): JobRecord {
  const small = JSON.parse(row.data) as JobRecord;
  return row.request === null ? small : { ...small, request: JSON.parse(row.request) as RenderRequest };
}

/** The indexed/aggregated columns of a record, in insert order (id first, data last, excluded). */
function columns(job: JobRecord): [string, string, number, number | null, number | null, number | null, string | null] {
  return [
    job.id,
    job.status,
    epochMs(job.createdAt),
    job.finishedAt ? epochMs(job.finishedAt) : null,
    job.durationSeconds,
    job.queueWaitSeconds,
    job.error?.category ?? null,
  ];
}
