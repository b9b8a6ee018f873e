import { ConfigError, loadConfig, type Config } from '../shared/config';
import { shutdownTelemetry } from '../telemetry/lifecycle';
import type { Logger } from '../telemetry/logger';

/** How long shutdown may take before the process exits anyway. */
export const SHUTDOWN_GRACE_MS = 5000;

/** Loads the config; a bad variable prints its message (which names the variable) and exits 1. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}

/**
 * On SIGTERM/SIGINT runs `stop` once and exits; a stop that hangs is cut short after `graceMs`
 * (SHUTDOWN_GRACE_MS, plus the drain time for processes that run a worker).
 */
export function exitOnSignals(stop: () => Promise<void>, logger: Logger, graceMs = SHUTDOWN_GRACE_MS): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown took too long; exiting anyway');
      process.exit(1);
    }, graceMs);
    force.unref();
    // Telemetry flushes last so the spans of the shutdown itself are exported too (bounded by the SDK).
    stop().then(
      () => shutdownTelemetry().then(() => process.exit(0)),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        return shutdownTelemetry().then(() => process.exit(1));
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
