/**
 * The handoff between the mains' shutdown and the SDK that `instrumentation/` started: the bootstrap
 * registers its bounded flush, the mains call `shutdownTelemetry()` last. With telemetry disabled
 * nothing is registered and the call resolves at once.
 *
 * The function lives under a global symbol, not in a module variable: the bootstrap is loaded with
 * `--import` and the app by `require`, and the two may hold separate copies of this module.
 */

const KEY = Symbol.for('render-o11y.telemetry-shutdown');

/** Called by the instrumentation bootstrap: `fn` flushes and stops the SDK within its own bound. */
export function registerTelemetryShutdown(fn: () => Promise<void>): void {
  (globalThis as Record<symbol, unknown>)[KEY] = fn;
}

/** Flushes pending spans and stops the SDK; never rejects, and is a no-op when telemetry is disabled. */
export async function shutdownTelemetry(): Promise<void> {
  const fn = (globalThis as Record<symbol, unknown>)[KEY] as (() => Promise<void>) | undefined;
  if (!fn) return;
  try {
    await fn();
  } catch {
    // Telemetry never breaks the app, not even its exit.
  }
}
