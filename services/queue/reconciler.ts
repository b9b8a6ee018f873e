/**
 * The reconciler: a periodic pass that re-enqueues any `queued`/`retrying` job record with no queue
 * entry for its generation (a create whose enqueue never happened because the process died between
 * the two writes, an entry lost with a Redis that ran without persistence). Enqueue is idempotent per
 * generation, so racing a normal enqueue is harmless. Works on both backends through the contract.
 */
import type { QueueBackend } from './contract';
import type { Logger } from 'pino';

/** How often the reconciler looks, by default. */
export const RECONCILE_INTERVAL_MS = 30_000;
/** Records looked at per pass (oldest first); the next pass continues. */
const BATCH = 500;

/** One pass; returns how many records were re-enqueued. */
export async function reconcileOnce(backend: QueueBackend, logger: Logger): Promise<number> {
  let fixed = 0;
  for (const id of await backend.store.idsInStatus(['queued', 'retrying'], BATCH)) {
    const job = await backend.store.get(id);
    if (!job || (job.status !== 'queued' && job.status !== 'retrying')) continue;
    const generation = job.generation ?? 0;
    if (await backend.hasEntry(id, generation)) continue;
    await backend.enqueue(id, job.traceCarrier, 0, generation);
    fixed++;
    logger.warn({ job_id: id, status: job.status }, 'reconciler: re-enqueued a job that had no queue entry');
  }
  return fixed;
}

/** Runs `reconcileOnce` now and every `intervalMs`; returns the stop function. Failures are logged and retried next time. */
export function startReconciler(backend: QueueBackend, logger: Logger, intervalMs = RECONCILE_INTERVAL_MS): () => void {
  let running = false;
  const pass = () => {
    if (running) return;
    running = true;
    reconcileOnce(backend, logger)
      .catch((err) => logger.warn({ err }, 'reconciler pass failed; retrying on the next one'))
      .finally(() => (running = false));
  };
  const timer = setInterval(pass, intervalMs);
  timer.unref();
  pass();
  return () => clearInterval(timer);
}
