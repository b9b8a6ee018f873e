import path from 'node:path';
import { Router } from 'express';
import { BadRequestError, JobStateError } from '../../shared/errors';
import { clientOf } from '../client-auth';
import { loadJob, type JobRouteDeps } from './jobs';

/** Downloads a completed job's MP4; `res.sendFile` serves Range requests (206) and rejects bad ranges (416). */
export function jobOutputRouter({ backend }: Pick<JobRouteDeps, 'backend'>): Router {
  const router = Router();

  router.get('/:id/output', async (req, res, next) => {
    const id = req.params.id;
    const job = await loadJob(backend, id, clientOf(res));
    if (job.status !== 'completed' || !job.outputPath) {
      throw new JobStateError('JOB_NOT_COMPLETED', `job ${id} is ${job.status}; its video is available once it is completed`);
    }
    res.locals.jobId = id;
    res.attachment(`${id}.mp4`);
    res.sendFile(
      path.resolve(job.outputPath),
      { headers: { 'Content-Type': 'video/mp4' }, dotfiles: 'allow' },
      (err?: Error & { status?: number; code?: string }) => {
        if (!err || res.headersSent) return;
        res.removeHeader('Content-Disposition');
        if (err.status === 416) {
          next(new BadRequestError('RANGE_NOT_SATISFIABLE', 'the requested byte range is outside the video', 416));
        } else if (err.code === 'ENOENT' || err.status === 404) {
          next(new BadRequestError('OUTPUT_NOT_FOUND', `the video of job ${id} is no longer on disk`, 404));
        } else {
          next(err);
        }
      },
    );
  });

  return router;
}
