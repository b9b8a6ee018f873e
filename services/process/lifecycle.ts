/**
 * How every entry point (embedded, API, worker) lives and dies: config read once, one logger, a
 * start that either succeeds or exits 1 saying why, and SIGTERM/SIGINT that stop the service and
 * flush telemetry last. The entry points differ only in what they start.
 */
import { ConfigError, loadConfig, type Config } from '../shared/config';
import { shutdownTelemetry } from '../telemetry/lifecycle';
import { createLogger, type Logger } from '../telemetry/logger';

/** How long shutdown may take before the process exits anyway. */
export const SHUTDOWN_GRACE_MS = 5000;

/** Anything an entry point starts and must stop. */
export interface Stoppable {
  close(): Promise<void>;
}

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

/**
 * The body of every entry point: reads the config (exit 1 naming a bad variable), creates the
 * process logger named `name`, starts, and installs the signal handlers; a failed start prints
 * why and exits 1.
 */
export function runMain(name: string, start: (config: Readonly<Config>, logger: Logger) => Promise<Stoppable>): void {
  const config = loadConfigOrExit();
  const logger = createLogger(name, config.logLevel);
  start(config, logger).then(
    // A worker may drain for RENDER_DRAIN_SECONDS; the API's connection drain, the webhook outbox and the
    // telemetry flush each take a bounded moment around it: the hard stop comes only after all of them.
    (running) => exitOnSignals(() => running.close(), logger, config.drainSeconds * 1000 + 2 * SHUTDOWN_GRACE_MS),
    (err: unknown) => {
      console.error(`${name} failed to start:`, err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
