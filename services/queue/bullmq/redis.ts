/** Redis connection helpers with bounded waits, so an unreachable Redis never hangs a request or a shutdown. */
import IORedis, { type Redis, type RedisOptions } from 'ioredis';

/** Opens a connection; `blocking` ones (BullMQ workers, subscribers) retry commands forever as BullMQ requires. */
export function connectRedis(url: string, blocking: boolean): Redis {
  const options: RedisOptions = blocking
    ? { maxRetriesPerRequest: null, connectTimeout: 5000 }
    : { maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 10_000 };
  const conn = new IORedis(url, options);
  // Without a listener ioredis reports every failed reconnect as an unhandled 'error' event.
  conn.on('error', () => {});
  return conn;
}

/** Rejects with `what` timed out when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
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
