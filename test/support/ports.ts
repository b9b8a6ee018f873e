import { freeLoopbackPort } from '../../stack/ports';

/** Asks the kernel for a free loopback port (racy in theory, fine for one test run on one machine): the stack's own helper. */
export const freePort = freeLoopbackPort;

/** Polls `check` until it resolves true or `timeoutMs` passes; throws with `what` on time-out. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}
