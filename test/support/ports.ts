import { freeLoopbackPort } from '../../stack/ports';

/** Asks the kernel for a free loopback port (racy in theory, fine for one test run on one machine): the stack's own helper. */
export const freePort = freeLoopbackPort;

/**
 * Thrown by a `waitFor` check when what it waits for can no longer happen (the job ended first): the
 * wait stops at once with this error, where any other error is taken as "not yet" and retried.
 */
export class WaitAborted extends Error {}

/**
 * Polls `check` until it resolves true or `timeoutMs` passes; throws with `what` on time-out, and at
 * once when `check` throws WaitAborted.
 */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      if (err instanceof WaitAborted) throw err;
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}
