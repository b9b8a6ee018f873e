/** The webhook outbox in Redis: one hash per entry plus a sorted set of event ids scored by when they are due. */
import type { Redis } from 'ioredis';
import type { OutboxEntry, WebhookOutbox } from '../contract';
import type { RedisKeys } from './keys';

// Leases one id if due. KEYS: index. ARGV: id, now, until. Returns 1 when leased.
const LEASE = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1`;

/** `WebhookOutbox` over Redis, shared by every worker of the queue. */
export class RedisOutbox implements WebhookOutbox {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async add(entry: Omit<OutboxEntry, 'attempts'>): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.outboxEntry(entry.eventId), { jobId: entry.jobId, event: entry.event, payload: entry.payload, attempts: '0' })
      .zadd(this.keys.outbox(), 'NX', Date.now(), entry.eventId)
      .exec();
  }

  async take(now: number, leaseMs: number, limit: number): Promise<OutboxEntry[]> {
    const ids = await this.redis.zrangebyscore(this.keys.outbox(), '-inf', now, 'LIMIT', 0, limit);
    const taken: OutboxEntry[] = [];
    for (const id of ids) {
      const entry = await this.takeOne(id, now, leaseMs);
      if (entry) taken.push(entry);
    }
    return taken;
  }

  async takeOne(eventId: string, now: number, leaseMs: number): Promise<OutboxEntry | null> {
    if ((await this.redis.eval(LEASE, 1, this.keys.outbox(), eventId, now, now + leaseMs)) !== 1) return null;
    const h = await this.redis.hgetall(this.keys.outboxEntry(eventId));
    if (!h.payload) {
      await this.redis.zrem(this.keys.outbox(), eventId);
      return null;
    }
    return { eventId, jobId: h.jobId ?? '', event: h.event ?? '', payload: h.payload, attempts: Number(h.attempts ?? 0) };
  }

  async remove(eventId: string): Promise<void> {
    await this.redis.multi().zrem(this.keys.outbox(), eventId).del(this.keys.outboxEntry(eventId)).exec();
  }

  async reschedule(eventId: string, attempts: number, nextAt: number): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.outboxEntry(eventId), 'attempts', String(attempts))
      .zadd(this.keys.outbox(), 'XX', nextAt, eventId)
      .exec();
  }

  async size(): Promise<number> {
    return this.redis.zcard(this.keys.outbox());
  }
}
