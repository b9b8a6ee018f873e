/**
 * A job's stored video, from its record: which key holds it (records from before object storage
 * have a local `outputPath` instead), and a time-limited download URL where the backend can sign one.
 * Used by the API (downloads, `?redirect=1`, deletion) and the worker (the webhook's output URL).
 */
import { jobClient, type JobRecord } from '../shared/job';
import { forgetJobPieces, manifestName, pieceScope } from './piece-names';
import type { OutputStorage } from './contract';

/** The storage key of a job's published video, or null when it has none this storage can serve. */
export function outputKeyOf(storage: OutputStorage, job: Pick<JobRecord, 'outputKey' | 'outputPath'>): string | null {
  if (job.outputKey) return job.outputKey;
  return job.outputPath ? storage.keyForLegacyPath(job.outputPath) : null;
}

/** A presigned GET for the job's video valid for `ttlSeconds`, or null (local storage, or no video). */
export async function presignedOutputUrl(
  storage: OutputStorage,
  job: Pick<JobRecord, 'id' | 'outputKey' | 'outputPath'>,
  ttlSeconds: number,
): Promise<string | null> {
  const key = outputKeyOf(storage, job);
  if (!key) return null;
  return storage.presignGet(key, { expiresInSeconds: ttlSeconds, downloadName: `${job.id}.mp4`, contentType: 'video/mp4' });
}

/**
 * Deletes every stored object of a job (each attempt's, published or not) and forgets its render
 * pieces: the pieces of its scope no other job still uses go with it. What job deletion and
 * retention call before (or after) removing the record; safe to repeat.
 */
export async function deleteJobOutput(storage: OutputStorage, job: Pick<JobRecord, 'id' | 'client'>): Promise<number> {
  const deleted = await storage.deleteJob(job.id);
  // Whichever RENDER_PIECE_CACHE_SCOPE the job rendered under: its list is in one of the two.
  for (const mode of ['client', 'shared'] as const) {
    const scope = pieceScope(mode, jobClient(job));
    if (await storage.pieces.get(manifestName(scope, job.id))) await forgetJobPieces(storage, scope, job.id);
  }
  return deleted;
}
