/**
 * A worker takes no job while the video storage does not answer: every render would fail at its
 * upload and burn attempts. Like a Redis outage, an unreachable or misconfigured store (server
 * down, bucket not created yet, credentials refused) makes the worker wait and retry, saying why.
 */
import type { OutputStorage } from '../storage/contract';
import type { Logger } from '../telemetry/logger';

/** Retry delays: from `firstMs`, doubling, at most `maxMs`. */
export interface WaitOptions {
  firstMs?: number;
  maxMs?: number;
  signal?: AbortSignal;
}

/** Resolves once `storage.ping()` succeeds; retries forever (until `signal` aborts) with capped backoff. */
export async function waitForStorage(storage: OutputStorage, logger: Logger, options: WaitOptions = {}): Promise<void> {
  let delay = options.firstMs ?? 500;
  const maxMs = options.maxMs ?? 30_000;
  for (let tries = 1; ; tries++) {
    options.signal?.throwIfAborted();
    try {
      await storage.ping();
      if (tries > 1) logger.info({ storage: storage.description }, 'video storage reachable; starting to take jobs');
      return;
    } catch (err) {
      logger.warn(
        { storage: storage.description, retry_in_ms: delay, err: err instanceof Error ? err.message : String(err) },
        'video storage unavailable; waiting before taking jobs',
      );
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      options.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    delay = Math.min(maxMs, delay * 2);
  }
}
