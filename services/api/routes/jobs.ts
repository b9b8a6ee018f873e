import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { QueueBackend } from '../../queue/contract';
import type { Config } from '../../shared/config';
import { JOB_STATUSES, newJobRecord, toPublicJob, type JobRecord } from '../../shared/job';
import { parseRenderRequest } from '../../shared/request';
import { BadRequestError, JobNotFoundError, ValidationFailedError } from '../../shared/errors';
import { persistAndEnqueue } from '../enqueue';
import { queueCall } from '../queue-call';
import { voiceProblem } from '../voices';

/** What the job routes need. */
export interface JobRouteDeps {
  config: Readonly<Config>;
  backend: QueueBackend;
}

const listQuery = z.strictObject({
  status: z.enum(JOB_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(512).optional(),
});

/** Loads a job or throws JOB_NOT_FOUND; shared by every `/api/jobs/:id…` route. */
export async function loadJob(backend: QueueBackend, id: string): Promise<JobRecord> {
  const job = await queueCall(() => backend.store.get(id));
  if (!job) throw new JobNotFoundError(id);
  return job;
}

/** Turns a zod failure on the query string into 400 INVALID_QUERY naming the parameter. */
export function invalidQuery(error: z.ZodError): BadRequestError {
  const what = error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ');
  return new BadRequestError('INVALID_QUERY', `invalid query parameters: ${what}`);
}

/** Submit, list and read jobs. */
export function jobsRouter({ config, backend }: JobRouteDeps): Router {
  const router = Router();

  router.post('/', async (req: Request, res) => {
    if (!req.is('application/json')) {
      throw new BadRequestError('UNSUPPORTED_MEDIA_TYPE', 'send the render request as application/json', 415);
    }
    const parsed = parseRenderRequest(req.body);
    if (!parsed.ok) throw new ValidationFailedError(parsed.details);
    const voice = await voiceProblem(parsed.request);
    if (voice) throw new ValidationFailedError([voice]);
    const id = randomUUID();
    const job = await persistAndEnqueue(backend, { kind: 'create', job: newJobRecord(id, parsed.request, config.maxAttempts) });
    res.locals.jobId = id;
    res.status(202).location(`/api/jobs/${id}`).json(toPublicJob(job!));
  });

  router.get('/', async (req, res) => {
    const query = listQuery.safeParse(req.query);
    if (!query.success) throw invalidQuery(query.error);
    const page = await queueCall(() => backend.store.list(query.data));
    res.json({ jobs: page.jobs.map(toPublicJob), nextCursor: page.nextCursor });
  });

  router.get('/:id', async (req, res) => {
    res.json(toPublicJob(await loadJob(backend, req.params.id)));
  });

  return router;
}
