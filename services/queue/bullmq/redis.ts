/** Redis connection helpers with bounded waits, so an unreachable Redis never hangs a request or a shutdown. */
import IORedis, { type Redis, type RedisOptions } from 'ioredis';
import { withTimeout } from '../../shared/timeout';
import type { Logger } from 'pino';

/** Reconnect delays of the blocking connections: 100 ms doubling up to 5 s, forever (a worker started while Redis is down waits for it). */
export function reconnectDelayMs(times: number): number {
  return Math.min(5000, 100 * 2 ** Math.min(10, Math.max(0, times - 1)));
}

/**
 * Opens a connection; `blocking` ones (BullMQ workers, subscribers) retry commands forever as BullMQ
 * requires. With a `logger`, losing and regaining Redis is logged once per outage (not once per
 * reconnect try), with the error, instead of being swallowed.
 */
export function connectRedis(url: string, blocking: boolean, logger?: Logger, name = 'redis'): Redis {
  // The request path keeps ioredis's default reconnect pace (≤ 2 s): a command waiting on a reconnect try
  // fails at the next failed try, so the API answers 503 within about 2 s while Redis is down.
  const options: RedisOptions = blocking
    ? { maxRetriesPerRequest: null, connectTimeout: 5000, retryStrategy: reconnectDelayMs }
    : { maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 10_000 };
  const conn = new IORedis(url, options);
  let down = false;
  // A listener is required anyway: without one ioredis reports every failed reconnect as an unhandled 'error' event.
  conn.on('error', (err) => {
    if (down) return;
    down = true;
    logger?.warn({ err, connection: name }, 'Redis unreachable; reconnecting with backoff');
  });
  conn.on('ready', () => {
    if (!down) return;
    down = false;
    logger?.info({ connection: name }, 'Redis reachable again');
  });
  return conn;
}

/** Quits politely, or drops the socket when Redis does not answer in time. */
export async function closeRedis(conn: Redis, ms = 1000): Promise<void> {
  if (conn.status === 'end') return;
  try {
    await withTimeout(conn.quit(), ms, 'redis quit');
  } catch {
    conn.disconnect();
  }
}
