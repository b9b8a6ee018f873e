import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { JobLifecycle } from '../../jobs';
import type { QueueBackend } from '../../queue/contract';
import type { Config } from '../../shared/config';
import { JOB_STATUSES, jobClient, newJobRecord, toPublicJob, type JobRecord } from '../../shared/job';
import { parseRenderRequest } from '../../shared/request';
import { refusedUrlFields } from '../../shared/request-urls';
import { BadRequestError, JobNotFoundError, UrlNotAllowedError, ValidationFailedError } from '../../shared/errors';
import { clientOf } from '../client-auth';
import { queueCall } from '../queue-call';
import type { SubmitLimits } from '../submit-limits';
import { voiceProblem } from '../voices';

/** What the job routes need. */
export interface JobRouteDeps {
  config: Readonly<Config>;
  backend: QueueBackend;
  /** Every status change (submit, cancel, retry) goes through it. */
  lifecycle: JobLifecycle;
  limits?: SubmitLimits;
}

const listQuery = z.strictObject({
  status: z.enum(JOB_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(512).optional(),
});

/** How long an Idempotency-Key keeps naming its job (as payment APIs do). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Loads a job or throws JOB_NOT_FOUND; shared by every `/api/jobs/:id…` route. Given a client, a job
 * of another client is JOB_NOT_FOUND too: whether it exists is not that client's business.
 */
export async function loadJob(backend: QueueBackend, id: string, client?: string): Promise<JobRecord> {
  const job = await queueCall(() => backend.store.get(id));
  if (!job || (client !== undefined && jobClient(job) !== client)) throw new JobNotFoundError(id);
  return job;
}

/** Turns a zod failure on the query string into 400 INVALID_QUERY naming the parameter. */
export function invalidQuery(error: z.ZodError): BadRequestError {
  const what = error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ');
  return new BadRequestError('INVALID_QUERY', `invalid query parameters: ${what}`);
}

/** Submit, list and read jobs. */
export function jobsRouter({ config, backend, lifecycle, limits }: JobRouteDeps): Router {
  const router = Router();

  router.post('/', async (req: Request, res) => {
    if (!req.is('application/json')) {
      throw new BadRequestError('UNSUPPORTED_MEDIA_TYPE', 'send the render request as application/json', 415);
    }
    const client = clientOf(res);
    await limits?.takeSubmission(client);
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new BadRequestError('INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1–255 visible ASCII characters');
    }
    const parsed = parseRenderRequest(req.body);
    if (!parsed.ok) throw new ValidationFailedError(parsed.details);
    if (!config.fetch.allowPrivateUrls) {
      const refused = refusedUrlFields(parsed.request);
      if (refused.length > 0) throw new UrlNotAllowedError('a URL points to an address this service does not contact', refused);
    }
    const voice = await voiceProblem(parsed.request);
    if (voice) throw new ValidationFailedError([voice]);
    const id = randomUUID();
    if (idempotencyKey !== undefined) {
      const original = await replayOf(backend, client, idempotencyKey, id);
      if (original) {
        res.locals.jobId = original.id;
        res.set('idempotent-replayed', 'true');
        res.status(200).location(`/api/jobs/${original.id}`).json(toPublicJob(original));
        return;
      }
    }
    try {
      await limits?.checkRoom(client);
      const record = { ...newJobRecord(id, parsed.request, config.maxAttempts), client };
      const job = await queueCall(() => lifecycle.submit(record));
      res.locals.jobId = id;
      res.status(202).location(`/api/jobs/${id}`).json(toPublicJob(job));
    } catch (err) {
      // The key must not keep naming a job that was never created, or the client's retry would find nothing.
      if (idempotencyKey !== undefined) await backend.store.releaseIdempotencyKey(client, idempotencyKey, id).catch(() => undefined);
      throw err;
    }
  });

  router.get('/', async (req, res) => {
    const query = listQuery.safeParse(req.query);
    if (!query.success) throw invalidQuery(query.error);
    const page = await queueCall(() => backend.store.list({ ...query.data, client: clientOf(res) }));
    res.json({ jobs: page.jobs.map(toPublicJob), nextCursor: page.nextCursor });
  });

  router.get('/:id', async (req, res) => {
    res.json(toPublicJob(await loadJob(backend, req.params.id, clientOf(res))));
  });

  return router;
}

/**
 * Claims `key` for the new job `id`; when the key already names a job of this client, returns that
 * job instead (a retried submission). A key whose job no longer exists is claimed afresh.
 */
async function replayOf(backend: QueueBackend, client: string, key: string, id: string): Promise<JobRecord | null> {
  for (let tries = 0; tries < 2; tries++) {
    const existing = await queueCall(() => backend.store.claimIdempotencyKey(client, key, id, IDEMPOTENCY_TTL_MS));
    if (existing === null) return null;
    const job = await queueCall(() => backend.store.get(existing));
    if (job && jobClient(job) === client) return job;
    await queueCall(() => backend.store.releaseIdempotencyKey(client, key, existing));
  }
  return null;
}
