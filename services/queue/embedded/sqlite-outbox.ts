/** The webhook outbox in the embedded database (table `webhook_outbox`, schema version 2). */
import type { OutboxEntry, WebhookOutbox } from '../contract';
import type { Db } from './database';

interface Row {
  event_id: string;
  job_id: string;
  event: string;
  body: string;
  attempts: number;
}

const toEntry = (r: Row): OutboxEntry => ({ eventId: r.event_id, jobId: r.job_id, event: r.event, payload: r.body, attempts: r.attempts });

/** `WebhookOutbox` over SQLite; leasing is one IMMEDIATE transaction. */
export class SqliteOutbox implements WebhookOutbox {
  private readonly takeTx;
  private readonly takeOneTx;

  constructor(private readonly db: Db) {
    const due = db.prepare<[number, number], Row>(
      'SELECT event_id, job_id, event, body, attempts FROM webhook_outbox WHERE next_at <= ? ORDER BY next_at LIMIT ?',
    );
    const one = db.prepare<[string, number], Row>(
      'SELECT event_id, job_id, event, body, attempts FROM webhook_outbox WHERE event_id = ? AND next_at <= ?',
    );
    const lease = db.prepare('UPDATE webhook_outbox SET next_at = ? WHERE event_id = ?');
    this.takeTx = db.transaction((now: number, leaseMs: number, limit: number) => {
      const rows = due.all(now, limit);
      for (const r of rows) lease.run(now + leaseMs, r.event_id);
      return rows.map(toEntry);
    });
    this.takeOneTx = db.transaction((eventId: string, now: number, leaseMs: number) => {
      const row = one.get(eventId, now);
      if (!row) return null;
      lease.run(now + leaseMs, eventId);
      return toEntry(row);
    });
  }

  async add(entry: Omit<OutboxEntry, 'attempts'>): Promise<void> {
    // `url` is informational (the payload carries the job and its webhook URL); kept for operators reading the table.
    this.db
      .prepare(
        'INSERT OR IGNORE INTO webhook_outbox (event_id, job_id, event, url, body, attempts, next_at, created_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)',
      )
      .run(entry.eventId, entry.jobId, entry.event, '', entry.payload, Date.now(), Date.now());
  }

  async take(now: number, leaseMs: number, limit: number): Promise<OutboxEntry[]> {
    return this.takeTx.immediate(now, leaseMs, limit);
  }

  async takeOne(eventId: string, now: number, leaseMs: number): Promise<OutboxEntry | null> {
    return this.takeOneTx.immediate(eventId, now, leaseMs);
  }

  async remove(eventId: string): Promise<void> {
    this.db.prepare('DELETE FROM webhook_outbox WHERE event_id = ?').run(eventId);
  }

  async reschedule(eventId: string, attempts: number, nextAt: number): Promise<void> {
    this.db.prepare('UPDATE webhook_outbox SET attempts = ?, next_at = ? WHERE event_id = ?').run(attempts, nextAt, eventId);
  }

  async size(): Promise<number> {
    return this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM webhook_outbox').get()!.n;
  }
}
