/**
 * The handoff between the mains' shutdown and the SDK that `instrumentation/` started: the bootstrap
 * registers its bounded flush, the mains call `shutdownTelemetry()` last. With telemetry disabled
 * nothing is registered and the call resolves at once.
 *
 * The function lives under a `Symbol.for` key rather than in a module variable, so the handoff
 * survives a second copy of this module (an ESM and a CommonJS instance, or source and compiled
 * files side by side); under tsx and the compiled build both sides load one copy today.
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
