/**
 * The telemetry pipeline's own counters: failed exports and dropped spans. The span processor in
 * `instrumentation/` records them and must not import the app, so they are declared here, in the
 * neutral bridge, on `@opentelemetry/api` only; `services/telemetry/metrics.ts` re-exports them
 * and lists their Prometheus names with every other metric.
 */
import { metrics, type Counter } from '@opentelemetry/api';
import { METER_NAME } from './meter';

/** The OpenTelemetry signal an export carried. */
export type TelemetrySignal = 'traces' | 'metrics' | 'logs';

interface PipelineInstruments {
  exportFailures: Counter;
  spansDropped: Counter;
}

let current: PipelineInstruments | undefined;
let boundProvider: unknown;

function instruments(): PipelineInstruments {
  // Re-created when the global provider changes (tests install their own provider per test file).
  const provider = metrics.getMeterProvider();
  if (!current || boundProvider !== provider) {
    const meter = metrics.getMeter(METER_NAME);
    current = {
      exportFailures: meter.createCounter('telemetry_export_failures', {
        unit: '{failure}',
        description: 'Telemetry export calls that failed, by signal.',
      }),
      spansDropped: meter.createCounter('telemetry_spans_dropped', {
        unit: '{span}',
        description: 'Spans dropped because the export queue was full or the export failed.',
      }),
    };
    boundProvider = provider;
  }
  return current;
}

/** Counts a failed telemetry export, and the spans it dropped. */
export function recordTelemetryExportFailure(signal: TelemetrySignal, droppedSpans = 0): void {
  const i = instruments();
  // `signal` is one of the fixed-set metric label keys (services/telemetry/attributes.ts METRIC_LABELS).
  i.exportFailures.add(1, { signal });
  if (droppedSpans > 0) i.spansDropped.add(droppedSpans);
}

/** Counts spans dropped before export (queue full). */
export function recordSpansDropped(count: number): void {
  if (count > 0) instruments().spansDropped.add(count);
}
