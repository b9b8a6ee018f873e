/**
 * A worker process for crash tests: consumes the queue named by the environment, prints one JSON line
 * per attempt it starts, and never finishes one, so the parent can `kill -9` it mid-job.
 */
import { createEmbeddedBackend } from './embedded';
import { createBullmqBackend } from './bullmq';
import { quietLogger } from './test-support';

async function main(): Promise<void> {
  const queueName = process.env.CRASH_QUEUE_NAME!;
  const backend =
    process.env.CRASH_KIND === 'bullmq'
      ? await createBullmqBackend({ queueName, redisUrl: process.env.CRASH_REDIS_URL! }, quietLogger, {
          lockDurationMs: 2000,
          stalledIntervalMs: 1000,
          maxStalledCount: Number(process.env.CRASH_MAX_STALLED ?? 5),
        })
      : await createEmbeddedBackend({ queueName, dataDir: process.env.CRASH_DATA_DIR! }, quietLogger);
  await backend.startWorker(
    async (job) => {
      process.stdout.write(`${JSON.stringify({ started: job.id, attempt: job.attempt })}\n`);
      return new Promise(() => {});
    },
    {
      concurrency: 1,
      heartbeatMs: 500,
      onGaveUp: async (report) => void process.stdout.write(`${JSON.stringify({ gaveUp: report })}\n`),
    },
  );
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
}

void main();
