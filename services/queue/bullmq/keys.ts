/** Our Redis key names (BullMQ's own keys live under its `bull:` prefix). */
import type { JobStatus } from '../../shared/job';

/** Key names for one queue. */
export class RedisKeys {
  private readonly base: string;

  constructor(queueName: string) {
    this.base = `render-o11y:${queueName}`;
  }

  /** The prefix of the per-client submission-rate counters every API process shares (rate-limiter-flexible's keys). */
  submitRatePrefix(): string {
    return `${this.base}:submit-rate`;
  }

  /** The JSON document of one job. */
  job(id: string): string {
    return `${this.base}:job:${id}`;
  }

  /** The deck of one job, written once at create, apart from the mutable record. */
  deck(id: string): string {
    return `${this.base}:deck:${id}`;
  }

  /** A durable cancel request for one generation of a job, checked by the worker running it on each heartbeat. */
  cancelFlag(id: string, generation: number): string {
    return `${this.base}:cancel:${generation}:${id}`;
  }

  /** The key-layout version this Redis holds (absent: written before versions existed, i.e. 1). */
  layout(): string {
    return `${this.base}:layout`;
  }

  /**
   * One time bucket of the summary aggregates (`level` d: a UTC day, h: an hour; `n` counts them
   * from the epoch): a hash of sums (`dur:<status>`, `wait`) beside the sorted sets below.
   */
  summaryBucket(level: 'd' | 'h', n: number): string {
    return `${this.base}:sum:${level}${n}`;
  }

  /** Durations of the bucket's jobs that ended in `status` (score: seconds; member: `createdIndexMember`). */
  summaryDurations(level: 'd' | 'h', n: number, status: 'completed' | 'failed'): string {
    return `${this.summaryBucket(level, n)}:dur:${status}`;
  }

  /** Queue waits of the bucket's jobs (score: seconds). */
  summaryWaits(level: 'd' | 'h', n: number): string {
    return `${this.summaryBucket(level, n)}:wait`;
  }

  /** The bucket's failed jobs of one error category (score: when they failed, epoch ms). */
  summaryErrors(level: 'd' | 'h', n: number, category: string): string {
    return `${this.summaryBucket(level, n)}:err:${category}`;
  }

  /** Day buckets that ever held a job (member and score: the day number). */
  summaryDays(): string {
    return `${this.base}:sum:days`;
  }

  /** Set once the aggregates hold every record written before them (the layout-4 upgrade step). */
  summaryBuilt(): string {
    return `${this.base}:sum:built`;
  }

  /** Webhook deliveries waiting to be sent: event ids scored by when they are due. */
  outbox(): string {
    return `${this.base}:outbox`;
  }

  /** One pending webhook delivery. */
  outboxEntry(eventId: string): string {
    return `${this.base}:outbox:${eventId}`;
  }

  /** Every job, as `createdIndexMember`s in one lexicographic sorted set. */
  allJobs(): string {
    return `${this.base}:jobs`;
  }

  /** Jobs currently in `status`, same members. */
  byStatus(status: JobStatus): string {
    return `${this.base}:jobs:${status}`;
  }

  /** One client's jobs, same members (every record written since API keys has a client). */
  byClient(client: string): string {
    return `${this.base}:jobs:client:${client}`;
  }

  /** The job id an idempotency key names, expiring after its window. */
  idempotency(client: string, key: string): string {
    return `${this.base}:idempotency:${client}:${key}`;
  }

  /** Worker ids scored by last heartbeat. */
  workers(): string {
    return `${this.base}:workers`;
  }

  /** One worker's info, expiring when it stops heartbeating. */
  worker(id: string): string {
    return `${this.base}:worker:${id}`;
  }

  /** Pub/sub channel carrying job ids to cancel. */
  cancelChannel(): string {
    return `${this.base}:cancel`;
  }
}

const MS_DIGITS = 15;

/** Sorted-set member ordering jobs by creation time then id (all scores are 0, so order is lexicographic). */
export function createdIndexMember(createdMs: number, id: string): string {
  return `${String(createdMs).padStart(MS_DIGITS, '0')}|${id}`;
}

/** The lower bound of members created at or after `ms`. */
export function createdIndexFloor(ms: number): string {
  return `[${String(Math.max(0, Math.floor(ms))).padStart(MS_DIGITS, '0')}`;
}

/** The job id inside a member. */
export function idOfMember(member: string): string {
  return member.slice(MS_DIGITS + 1);
}

/**
 * BullMQ job id for our id and record generation: BullMQ rejects ':' and integer-looking custom ids,
 * so escape and prefix. Generation 0 keeps the original form, so entries queued before generations
 * existed are still found; later generations get their own BullMQ job (`~g<n>`, `~` escaped in ids).
 */
export function bullmqJobId(id: string, generation = 0): string {
  const base = `r-${id.replace(/%/g, '%25').replace(/:/g, '%3A').replace(/~/g, '%7E')}`;
  return generation > 0 ? `${base}~g${generation}` : base;
}

/** The record generation a BullMQ job id made by `bullmqJobId` names (0 without a suffix). */
export function generationOfBullmqJobId(jobId: string): number {
  const match = /~g(\d+)$/.exec(jobId);
  return match ? Number(match[1]) : 0;
}

/** Our id back from a BullMQ job id made by `bullmqJobId`; null for ids that are not ours. */
export function idOfBullmqJobId(jobId: string): string | null {
  if (!jobId.startsWith('r-')) return null;
  const tilde = jobId.indexOf('~');
  const escaped = jobId.slice(2, tilde === -1 ? undefined : tilde);
  return escaped.replace(/%7E/g, '~').replace(/%3A/g, ':').replace(/%25/g, '%');
}
