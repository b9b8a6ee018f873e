/**
 * Loaded first (`node --import tsx --import ./instrumentation/register.ts <entry>`) so the
 * instrumentations patch modules before the app requires them. With OTEL_SDK_DISABLED=true not
 * even the SDK modules are loaded: no instrumentation, no exporter, no metrics reader.
 */
import { isMainThread } from 'node:worker_threads';
import { telemetryDisabled } from './env';

// Worker threads (the span export thread among them) never start an SDK of their own.
if (!telemetryDisabled() && isMainThread) {
  try {
    // Required lazily so a disabled run pays nothing for the SDK.
    const { startTelemetry } = require('./sdk') as typeof import('./sdk');
    const { installExitHooks } = require('./signals') as typeof import('./signals');
    installExitHooks(startTelemetry().forceFlush);
  } catch (err) {
    // Telemetry never breaks the app: a broken bootstrap runs the service uninstrumented.
    console.error('render-o11y: telemetry bootstrap failed, continuing without it:', err);
  }
}
