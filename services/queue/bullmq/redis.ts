/** Redis connection helpers with bounded waits, so an unreachable Redis never hangs a request or a shutdown. */
import IORedis, { type Redis, type RedisOptions } from 'ioredis';
import { withTimeout } from '../../shared/timeout';

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

/** Quits politely, or drops the socket when Redis does not answer in time. */
export async function closeRedis(conn: Redis, ms = 1000): Promise<void> {
  if (conn.status === 'end') return;
  try {
    await withTimeout(conn.quit(), ms, 'redis quit');
  } catch {
    conn.disconnect();
  }
}
