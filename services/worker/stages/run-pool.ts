/**
 * A bounded pool for the encode stage's FFmpeg runs: a first-come first-served gate, and a runner
 * that stops every sibling at the first failure and settles only when all of them have.
 */

/** Runs `fn` when a slot is free. */
export type Limit = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * Runs the tasks `start` creates, at most `concurrency` FFmpeg runs at a time. The first failure
 * stops the others (their FFmpeg is killed, queued runs never start) and is what this throws, once
 * every task has settled: no child outlives the stage.
 */
export async function runAll(
  signal: AbortSignal,
  concurrency: number,
  start: (limit: Limit, taskSignal: AbortSignal) => Promise<unknown>[],
): Promise<void> {
  const stop = new AbortController();
  const taskSignal = AbortSignal.any([signal, stop.signal]);
  const limit = limiter(concurrency);
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    if (failure) return;
    failure = { error };
    stop.abort(error);
  };
  // The abort happens inside the failed run's slot, before the slot passes on, so the next queued run already sees it.
  const guarded: Limit = (fn) =>
    limit(async () => {
      try {
        return await fn();
      } catch (error) {
        fail(error);
        throw error;
      }
    });
  const tasks = start(guarded, taskSignal).map((task) => task.catch(fail));
  await Promise.all(tasks);
  if (failure) throw failure.error;
}

/**
 * A first-come first-served gate of `concurrency` slots. (p-limit does this but ships as ESM only,
 * which this CommonJS build cannot import.)
 */
export function limiter(concurrency: number): Limit {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    // A finishing task hands its slot straight to the next waiter, so no newcomer can slip in between.
    if (running < concurrency) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
