import { Router } from 'express';
import type { JobStatus } from '../../shared/job';
import { toPublicJob } from '../../shared/job';
import { JobStateError } from '../../shared/errors';
import { recordJobStatus } from '../../telemetry/metrics';
import { persistAndEnqueue } from '../enqueue';
import { queueCall } from '../queue-call';
import { clientOf } from '../auth';
import { loadJob, type JobRouteDeps } from './jobs';

const CANCELLABLE: readonly JobStatus[] = ['queued', 'retrying', 'processing'];
const RETRYABLE: readonly JobStatus[] = ['failed', 'cancelled'];

/** Cancel and retry: status changes a user asks for. */
export function jobActionsRouter({ config, backend, limits }: JobRouteDeps): Router {
  const router = Router();

  router.delete('/:id', async (req, res) => {
    const id = req.params.id;
    const current = await loadJob(backend, id, clientOf(res));
    // onlyIf makes the write lose cleanly against a worker finishing the job at the same moment.
    const job = CANCELLABLE.includes(current.status)
      ? await queueCall(() => backend.store.update(id, { status: 'cancelled', finishedAt: new Date().toISOString() }, CANCELLABLE))
      : null;
    if (!job) {
      const latest = await loadJob(backend, id);
      throw new JobStateError('JOB_ALREADY_FINISHED', `job ${id} is already ${latest.status}`);
    }
    await queueCall(() => backend.cancel(id));
    recordJobStatus('cancelled');
    res.locals.jobId = id;
    res.json(toPublicJob(job));
  });

  router.post('/:id/retry', async (req, res) => {
    const id = req.params.id;
    const current = await loadJob(backend, id, clientOf(res));
    const notRetryable = () =>
      new JobStateError('JOB_NOT_RETRYABLE', `job ${id} is ${current.status}; only failed or cancelled jobs can be retried`);
    if (!RETRYABLE.includes(current.status)) throw notRetryable();
    await limits?.checkRoom(clientOf(res));
    const patch = {
      status: 'queued' as const,
      // A new generation: the cancelled attempt still winding down can then only settle its own entry.
      generation: (current.generation ?? 0) + 1,
      attemptId: null,
      error: null,
      output: null,
      outputPath: null,
      stage: null,
      progress: 0,
      attempts: 0,
      maxAttempts: config.maxAttempts,
      startedAt: null,
      finishedAt: null,
      durationSeconds: null,
      queueWaitSeconds: null,
      updatedAt: new Date().toISOString(),
    };
    const job = await persistAndEnqueue(backend, { kind: 'requeue', id, patch, onlyIf: RETRYABLE });
    if (!job) throw notRetryable();
    res.locals.jobId = id;
    res.status(202).location(`/api/jobs/${id}`).json(toPublicJob(job));
  });

  return router;
}
