/**
 * Retention: finished jobs (completed, failed, cancelled) are deleted, record, video and the render
 * pieces no remaining job of their client uses, once they
 * finished longer than RENDER_RETENTION ago (`0` keeps them forever). Every worker runs the sweep
 * on its maintenance tick; sweeps racing on the same job are harmless (the store deletes a record
 * once, and removing a video twice is a no-op).
 */
import type { QueueBackend } from '../queue/contract';
import type { OutputStorage } from '../storage/contract';
import { deleteJobOutput } from '../storage/job-output';
import type { Logger } from '../telemetry/logger';

/** How often the sweep runs; retention is counted in days or hours, so minutes of slack do not matter. */
export const RETENTION_SWEEP_MS = 10 * 60 * 1000;
const BATCH = 100;

/** Deletes what expired before `now - retentionMs`; returns how many jobs went. */
export async function sweepExpiredJobs(
  backend: QueueBackend,
  storage: OutputStorage,
  retentionMs: number,
  logger: Logger,
  now = Date.now(),
): Promise<number> {
  if (retentionMs <= 0) return 0;
  let total = 0;
  for (;;) {
    const batch = await backend.store.deleteFinishedBefore(now - retentionMs, BATCH);
    // Every stored object of the job (each attempt's), on whichever storage holds them.
    await Promise.all(batch.map((job) => deleteJobOutput(storage, job)));
    total += batch.length;
    if (batch.length < BATCH) break;
  }
  if (total > 0) logger.info({ deleted: total }, 'expired jobs deleted (RENDER_RETENTION)');
  return total;
}

/** Runs the sweep now and every RETENTION_SWEEP_MS; returns a stop function. A failed sweep is logged and tried again next tick. */
export function startRetention(
  backend: QueueBackend,
  storage: OutputStorage,
  retentionMs: number,
  logger: Logger,
  everyMs = RETENTION_SWEEP_MS,
): () => void {
  if (retentionMs <= 0) return () => undefined;
  // One sweep at a time: a slow store must not pile sweeps up.
  let busy = false;
  const tick = () => {
    if (busy) return;
    busy = true;
    sweepExpiredJobs(backend, storage, retentionMs, logger)
      .catch((err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'retention sweep failed'))
      .finally(() => {
        busy = false;
      });
  };
  const first = setTimeout(tick, 1000);
  const timer = setInterval(tick, everyMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
