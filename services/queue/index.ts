/** Picks the queue backend: BullMQ when `REDIS_URL` is set, the embedded SQLite one otherwise. */
import type { QueueBackend } from './contract';
import type { QueueConfig } from '../shared/config';
// The pino type only: the queue sits below the app's telemetry (docs/architecture.md).
import type { Logger } from 'pino';
import { createEmbeddedBackend } from './embedded';
import { createBullmqBackend, type BullmqOptions } from './bullmq';

/** Opens the configured backend; `bullmq` tunes stalled-job recovery (@testSeam bullmq-stall-tuning). */
export async function createQueueBackend(config: QueueConfig, logger: Logger, bullmq: BullmqOptions = {}): Promise<QueueBackend> {
  return config.redisUrl
    ? createBullmqBackend({ ...config, redisUrl: config.redisUrl }, logger, bullmq)
    : createEmbeddedBackend(config, logger);
}

export type { BullmqOptions };
