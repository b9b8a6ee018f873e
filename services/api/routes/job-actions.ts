import { Router } from 'express';
import { canTransition, toPublicJob } from '../../shared/job';
import { JobStateError } from '../../shared/errors';
import { queueCall } from '../queue-call';
import { clientOf } from '../auth';
import { loadJob, type JobRouteDeps } from './jobs';

/** Cancel and retry: status changes a user asks for (the status machine says which statuses allow them). */
export function jobActionsRouter({ config, backend, lifecycle, limits }: JobRouteDeps): Router {
  const router = Router();

  router.delete('/:id', async (req, res) => {
    const id = req.params.id;
    const current = await loadJob(backend, id, clientOf(res));
    // The transition is guarded: it loses cleanly against a worker finishing the job at the same moment.
    const job = canTransition('cancel', current.status) ? await queueCall(() => lifecycle.cancel(id)) : null;
    if (!job) {
      const latest = await loadJob(backend, id);
      throw new JobStateError('JOB_ALREADY_FINISHED', `job ${id} is already ${latest.status}`);
    }
    res.locals.jobId = id;
    res.json(toPublicJob(job));
  });

  router.post('/:id/retry', async (req, res) => {
    const id = req.params.id;
    const current = await loadJob(backend, id, clientOf(res));
    const notRetryable = () =>
      new JobStateError('JOB_NOT_RETRYABLE', `job ${id} is ${current.status}; only failed or cancelled jobs can be retried`);
    if (!canTransition('retry', current.status)) throw notRetryable();
    // A retried job is active again: it takes a place under the client's cap through the same
    // per-client lock as a submission, so retries and submissions together never pass the cap.
    const retry = () => queueCall(() => lifecycle.retry(id, config.maxAttempts));
    const job = limits ? await limits.withRoom(clientOf(res), retry) : await retry();
    if (!job) throw notRetryable();
    res.locals.jobId = id;
    res.status(202).location(`/api/jobs/${id}`).json(toPublicJob(job));
  });

  return router;
}
