/**
 * Makes sure spans leave the process when it stops, without ever delaying exit past the bound.
 * The mains' own SIGTERM handlers stop the app and call `shutdownTelemetry()` last; this module
 * only covers the cases they do not.
 */
import { shutdownTelemetry } from '../telemetry-bridge/shutdown';

/** Flushes on a natural exit, and on SIGTERM/SIGINT when no one else handles the signal. */
export function installExitHooks(forceFlush: () => Promise<void>): void {
  process.once('beforeExit', () => void shutdownTelemetry());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 1) {
        // The app stops itself; push what has ended already so its own final flush has less to do.
        void forceFlush().catch(() => undefined);
        return;
      }
      // Nobody else listens: our listener suppressed the default exit, so restore it after the bounded flush.
      void shutdownTelemetry().finally(() => {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      });
    };
    process.on(signal, onSignal);
  }
}
