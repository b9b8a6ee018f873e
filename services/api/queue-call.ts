import { QueueUnavailableError, RenderError } from '../shared/errors';

/**
 * Runs a backend call and turns an unexpected failure (Redis down, SQLite closed) into a 503
 * QUEUE_UNAVAILABLE, so clients learn to retry instead of seeing a 500.
 */
export async function queueCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof RenderError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new QueueUnavailableError(`the job queue is unavailable (${reason}); try again later`, { cause: err });
  }
}
