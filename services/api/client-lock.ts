/**
 * One submission at a time per client, across every API process: the active-job cap is a check
 * (count the client's queued and running jobs) then an insert, and two APIs (or two requests in
 * one) could both pass the check. Holding this lock across both makes them one step. In the Redis
 * layout it is a Redis key (SET NX PX, released only by its holder); in the embedded layout, where
 * one process serves the API, a promise chain per client.
 */
import { randomUUID } from 'node:crypto';
import type { QueueBackend } from '../queue/contract';
import { QueueUnavailableError } from '../shared/errors';
import { queueCall } from './queue-call';

/** A lock is dropped after this even if its holder died mid-submission (a submission takes milliseconds). */
const LOCK_TTL_MS = 10_000;
/** How long a submission waits for the client's lock before answering 503 QUEUE_UNAVAILABLE. */
const WAIT_MS = 10_000;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Runs `fn` holding `client`'s submission lock. */
export type ClientLock = <T>(client: string, fn: () => Promise<T>) => Promise<T>;

/** The lock for this backend's layout. */
export function clientLock(backend: QueueBackend): ClientLock {
  const shared = backend.sharedState;
  if (!shared) return processLock();
  return async (client, fn) => {
    const key = `${shared.submitRatePrefix}:lock:${client}`;
    const token = randomUUID();
    const deadline = Date.now() + WAIT_MS;
    for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
      // Redis down is a 503 QUEUE_UNAVAILABLE like every other queue call, not a 500.
      if ((await queueCall(() => shared.redis.set(key, token, 'PX', LOCK_TTL_MS, 'NX'))) === 'OK') break;
      if (Date.now() > deadline) throw new QueueUnavailableError();
      await new Promise((r) => setTimeout(r, wait));
    }
    try {
      return await fn();
    } finally {
      await shared.redis.eval(RELEASE, 1, key, token).catch(() => undefined);
    }
  };
}

function processLock(): ClientLock {
  const tails = new Map<string, Promise<unknown>>();
  return async (client, fn) => {
    const before = tails.get(client) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    tails.set(client, tail);
    try {
      return await run;
    } finally {
      if (tails.get(client) === tail) tails.delete(client);
    }
  };
}
