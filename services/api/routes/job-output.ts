/**
 * A completed job's video: streamed from whichever storage holds it (local directory or object
 * store) with HTTP Range (206, or 416 for a range outside the video), or, with `?redirect=1` on
 * object storage, a 302 to a presigned URL so large downloads need not pass through the API.
 * `DELETE /api/jobs/:id/output` removes the video (every attempt's object) and keeps the record.
 * Every error answer is JSON with a JSON content type: no header of the video is set before the
 * object has been opened.
 */
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import rangeParser from 'range-parser';
import { BadRequestError, JobStateError, OutputNotFoundError } from '../../shared/errors';
import type { JobRecord } from '../../shared/job';
import type { ByteRange, ObjectInfo, OutputStorage } from '../../storage/contract';
import { deleteJobOutput, outputKeyOf, presignedOutputUrl } from '../../storage/job-output';
import { queueCall } from '../queue-call';
import { clientOf } from '../auth';
import { loadJob, type JobRouteDeps } from './jobs';

/** What the output routes need. */
export interface JobOutputDeps extends Pick<JobRouteDeps, 'backend' | 'config'> {
  storage: OutputStorage;
}

/** Downloads (GET) and deletes (DELETE) a completed job's video. */
export function jobOutputRouter({ backend, config, storage }: JobOutputDeps): Router {
  const router = Router();

  router.get('/:id/output', async (req, res) => {
    const id = req.params.id;
    const job = await loadJob(backend, id, clientOf(res));
    res.locals.jobId = id;
    const key = publishedKey(storage, job);
    if (req.query.redirect === '1') {
      const url = await presignedOutputUrl(storage, job, config.outputUrlTtlSeconds);
      if (url) {
        res.set('Cache-Control', 'no-store');
        res.redirect(302, url);
        return;
      }
      // A local directory cannot sign URLs: the video is served right here instead.
    }
    const info = await storage.stat(key);
    if (!info) throw missing(id);
    await sendVideo(req, res, storage, key, info, `${id}.mp4`);
  });

  router.delete('/:id/output', async (req, res) => {
    const id = req.params.id;
    const job = await loadJob(backend, id, clientOf(res));
    res.locals.jobId = id;
    if (job.status !== 'completed') {
      throw new JobStateError('JOB_NOT_COMPLETED', `job ${id} is ${job.status}; only a completed job's video can be deleted`);
    }
    // Objects first: a record that still names a deleted object answers 404, never a dangling success.
    await deleteJobOutput(storage, job);
    const updated = await queueCall(() => backend.store.update(id, { output: null, outputKey: null, outputPath: null }, ['completed']));
    if (!updated) throw new JobStateError('JOB_NOT_COMPLETED', `job ${id} changed status while its video was being deleted`);
    res.status(204).end();
  });

  return router;
}

/** The key of the job's published video; 409 before completion, 404 when it has none (deleted). */
function publishedKey(storage: OutputStorage, job: JobRecord): string {
  if (job.status !== 'completed') {
    throw new JobStateError('JOB_NOT_COMPLETED', `job ${job.id} is ${job.status}; its video is available once it is completed`);
  }
  const key = outputKeyOf(storage, job);
  if (!key) throw missing(job.id);
  return key;
}

function missing(id: string): OutputNotFoundError {
  return new OutputNotFoundError(`the video of job ${id} is no longer stored`);
}

/** Streams the object, whole (200) or one range (206); a bad range is a 416 JSON error. */
async function sendVideo(req: Request, res: Response, storage: OutputStorage, key: string, info: ObjectInfo, name: string): Promise<void> {
  let range: ByteRange | undefined;
  const header = req.headers.range;
  if (header) {
    const parsed = rangeParser(info.bytes, header, { combine: true });
    if (parsed === -1) {
      res.set('Content-Range', `bytes */${info.bytes}`);
      throw new BadRequestError('RANGE_NOT_SATISFIABLE');
    }
    // A malformed header (-2), a non-bytes unit or several ranges: the whole video, as RFC 9110 allows.
    if (parsed !== -2 && parsed.type === 'bytes' && parsed.length === 1) range = { start: parsed[0].start, end: parsed[0].end };
  }
  // HEAD answers from the object's metadata alone; GET opens the object before any header is set,
  // so a failure to open it is still a clean JSON error.
  const opened = req.method === 'HEAD' ? null : await storage.read(key, range);
  res.status(range ? 206 : 200);
  res.set({
    'Content-Type': 'video/mp4',
    'Content-Length': String(range ? range.end - range.start + 1 : info.bytes),
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'private, no-cache',
  });
  if (range) res.set('Content-Range', `bytes ${range.start}-${range.end}/${info.bytes}`);
  if (info.etag) res.set('ETag', info.etag);
  if (info.lastModified) res.set('Last-Modified', info.lastModified.toUTCString());
  res.attachment(name);
  if (!opened) {
    res.end();
    return;
  }
  try {
    await pipeline(opened.body, res);
  } catch {
    // The client hung up or the store broke off mid-stream: headers are gone, so the connection is
    // cut (pipeline destroyed both ends) and the client sees a short body, never a wrong one.
  }
}
