/**
 * Publishing an attempt's video. The attempt uploaded under its own key (stages/store.ts); here it
 * tries to make that key the job's output with the final status update. Exactly one attempt can
 * win that update: the winner's key is on the record, and a loser (the job was cancelled, or
 * another attempt of the same job completed first) deletes its own object and nothing else, so
 * the published video is never touched by a late attempt.
 *
 * `completeIfOwner` is the single place the final status update is made: the queue layer's fenced
 * "complete only if this attempt still owns the job" slots in there.
 */
import type { JobPatch, JobStore } from '../queue/contract';
import type { JobRecord } from '../shared/job';
import type { OutputStorage } from '../storage/contract';
import type { Logger } from '../telemetry/logger';

/** What publishing needs. */
export interface PublishDeps {
  store: JobStore;
  storage: OutputStorage;
  logger: Logger;
}

/** The attempt that wants to publish. */
export interface PublishingAttempt {
  jobId: string;
  attempt: number;
  /** The attempt's fence token (`JobRecord.attemptId`, set when it started): only the owner completes. */
  attemptId?: string;
}

/**
 * The final status update, fenced: writes `patch` only while the job is still `processing` and this
 * attempt still owns the record (`attemptId`, atomically in the store), so a cancellation, a retry's
 * new attempt or another attempt's completion wins. Returns the new record, or null when this attempt lost.
 */
export async function completeIfOwner(store: JobStore, who: PublishingAttempt, patch: JobPatch): Promise<JobRecord | null> {
  return store.update(who.jobId, patch, ['processing'], who.attemptId);
}

/**
 * Completes the job with this attempt's object `outputKey` (and `patch`), or, when this attempt
 * lost, deletes that object. A failing status write is rethrown without deleting: the write may
 * have landed, and an unpublished object is removed with the job anyway (`deleteJob`).
 */
export async function publishOutput(
  deps: PublishDeps,
  who: PublishingAttempt,
  outputKey: string,
  patch: Omit<JobPatch, 'outputKey'>,
): Promise<JobRecord | null> {
  const done = await completeIfOwner(deps.store, who, { ...patch, outputKey });
  if (done) return done;
  await deps.storage.delete(outputKey).catch((err: unknown) => {
    deps.logger.warn(
      { job_id: who.jobId, attempt: who.attempt, err: err instanceof Error ? err.message : String(err) },
      'could not delete the video of an attempt that lost; it goes when the job is deleted',
    );
  });
  return null;
}
