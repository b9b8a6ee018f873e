/**
 * The app's way to stop telemetry: the mains call `shutdownTelemetry()` last. The flush itself is
 * registered by `instrumentation/` through the neutral telemetry-bridge, which both sides import.
 */
export { shutdownTelemetry } from '../../telemetry-bridge/shutdown';
