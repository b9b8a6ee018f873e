/** Worker liveness in Redis: an expiring key per worker plus a sorted set to find them without SCAN. */
import type { Redis } from 'ioredis';
import type { WorkerInfo } from '../contract';
import type { RedisKeys } from './keys';
import { livenessWindowMs } from '../liveness';

/** Writes one heartbeat; the key expires when the worker would count as dead. */
export async function writeHeartbeat(
  redis: Redis,
  keys: RedisKeys,
  info: Omit<WorkerInfo, 'lastSeenAt'>,
  heartbeatMs: number,
  now = Date.now(),
): Promise<void> {
  const body: WorkerInfo = { ...info, lastSeenAt: new Date(now).toISOString() };
  await redis
    .multi()
    .set(keys.worker(info.id), JSON.stringify(body), 'PX', livenessWindowMs(heartbeatMs))
    .zadd(keys.workers(), now, info.id)
    .exec();
}

/** Forgets a worker that closed cleanly. */
export async function removeHeartbeat(redis: Redis, keys: RedisKeys, id: string): Promise<void> {
  await redis.multi().del(keys.worker(id)).zrem(keys.workers(), id).exec();
}

/** Workers whose heartbeat key has not expired; expired ones are pruned from the index. */
export async function listWorkers(redis: Redis, keys: RedisKeys): Promise<WorkerInfo[]> {
  const ids = await redis.zrange(keys.workers(), 0, -1);
  if (ids.length === 0) return [];
  const values = await redis.mget(...ids.map((id) => keys.worker(id)));
  const gone = ids.filter((_, i) => values[i] === null);
  if (gone.length > 0) await redis.zrem(keys.workers(), ...gone);
  return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as WorkerInfo);
}
