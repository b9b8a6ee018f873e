import type { QueueBackend, JobPatch } from '../queue/contract';
import type { JobRecord, JobStatus } from '../shared/job';
import { QueueUnavailableError } from '../shared/errors';
import { markSpanError, startEnqueueSpan } from '../telemetry/tracing';
import { recordJobStatus } from '../telemetry/metrics';
import { queueCall } from './queue-call';

/** How a job reaches the store before it is queued: a new record, or a user's retry putting an existing one back in the queue. */
export type Persist = { kind: 'create'; job: JobRecord } | { kind: 'requeue'; id: string; patch: JobPatch; onlyIf: readonly JobStatus[] };

/**
 * Stores the job with the enqueue span's trace context, then queues it, inside the PRODUCER span.
 * Returns null when a requeue found the job in another status (someone else changed it first).
 */
export async function persistAndEnqueue(backend: QueueBackend, persist: Persist): Promise<JobRecord | null> {
  const id = persist.kind === 'create' ? persist.job.id : persist.id;
  const { span, carrier, traceId } = startEnqueueSpan(id, backend);
  const trace = { traceCarrier: carrier, traceId };
  try {
    let job: JobRecord | null;
    if (persist.kind === 'create') {
      job = { ...persist.job, ...trace };
      const created = job;
      await queueCall(() => backend.store.create(created));
    } else {
      job = await queueCall(() => backend.store.update(id, { ...persist.patch, ...trace }, persist.onlyIf));
      if (!job) return null;
    }
    try {
      const generation = job.generation ?? 0;
      await queueCall(() => backend.enqueue(id, carrier, 0, generation));
    } catch (err) {
      // The record exists but nothing will run it: fail it visibly rather than leave it queued forever.
      const error = err instanceof QueueUnavailableError ? err : new QueueUnavailableError();
      await backend.store
        .update(id, { status: 'failed', error: error.toJobError(), finishedAt: new Date().toISOString() }, ['queued'])
        .catch(() => undefined);
      throw err;
    }
    recordJobStatus('queued');
    return job;
  } catch (err) {
    if (err instanceof QueueUnavailableError) markSpanError(span, err);
    throw err;
  } finally {
    span.end();
  }
}
