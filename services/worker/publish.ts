/**
 * Publishing an attempt's video. The attempt uploaded under its own key (stages/store.ts); here it
 * tries to make that key the job's output with the final status change (`JobLifecycle.complete`,
 * fenced by the attempt's token). Exactly one attempt can win it: the winner's key is on the
 * record, and a loser (the job was cancelled, or another attempt of the same job completed first)
 * deletes its own object and nothing else, so the published video is never touched by a late attempt.
 */
import type { AttemptOwner, JobLifecycle, RenderResult } from '../jobs';
import type { JobRecord } from '../shared/job';
import type { OutputStorage } from '../storage/contract';
import type { Logger } from '../telemetry/logger';

/** What publishing needs. */
export interface PublishDeps {
  lifecycle: Pick<JobLifecycle, 'complete'>;
  storage: OutputStorage;
  logger: Logger;
}

/**
 * Completes the job with this attempt's object `result.outputKey`, or, when this attempt lost,
 * deletes that object. A failing status write is rethrown without deleting: the write may have
 * landed, and an unpublished object is removed with the job anyway (`deleteJob`).
 */
export async function publishOutput(deps: PublishDeps, owner: AttemptOwner, result: RenderResult): Promise<JobRecord | null> {
  const done = await deps.lifecycle.complete(owner, result);
  if (done) return done;
  await deps.storage.delete(result.outputKey).catch((err: unknown) => {
    deps.logger.warn(
      { job_id: owner.jobId, attempt: owner.attempt, err: err instanceof Error ? err.message : String(err) },
      'could not delete the video of an attempt that lost; it goes when the job is deleted',
    );
  });
  return null;
}
