/** Picks the queue backend: BullMQ when `REDIS_URL` is set, the embedded SQLite one otherwise. */
import type { QueueBackend } from './contract';
import type { QueueConfig } from '../shared/config';
import type { Logger } from '../telemetry/logger';
import { createEmbeddedBackend } from './embedded';
import { createBullmqBackend, type BullmqOptions } from './bullmq';

/** Opens the configured backend; `bullmq` tunes stalled-job recovery (tests shorten it). */
export async function createQueueBackend(config: QueueConfig, logger: Logger, bullmq: BullmqOptions = {}): Promise<QueueBackend> {
  return config.redisUrl
    ? createBullmqBackend({ ...config, redisUrl: config.redisUrl }, logger, bullmq)
    : createEmbeddedBackend(config, logger);
}

export type { BullmqOptions };
