/**
 * The telemetry pipeline's own counters: failed exports, dropped spans and dropped log records. The
 * span and log processors in `instrumentation/` record them and must not import the app, so they are declared here, in the
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
  logRecordsDropped: Counter;
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
      logRecordsDropped: meter.createCounter('telemetry_log_records_dropped', {
        unit: '{log_record}',
        description: 'OTLP log records dropped because the export queue was full or the export failed (stdout keeps every line).',
      }),
    };
    boundProvider = provider;
  }
  return current;
}

/** Counts a failed telemetry export, and the spans or log records (by its signal) it dropped. */
export function recordTelemetryExportFailure(signal: TelemetrySignal, dropped = 0): void {
  const i = instruments();
  // `signal` is one of the fixed-set metric label keys (services/telemetry/attributes.ts METRIC_LABELS).
  i.exportFailures.add(1, { signal });
  if (dropped <= 0) return;
  if (signal === 'traces') i.spansDropped.add(dropped);
  else if (signal === 'logs') i.logRecordsDropped.add(dropped);
}

/** Counts spans dropped before export (queue full). */
export function recordSpansDropped(count: number): void {
  if (count > 0) instruments().spansDropped.add(count);
}

/** Counts log records dropped before export (queue full). */
export function recordLogRecordsDropped(count: number): void {
  if (count > 0) instruments().logRecordsDropped.add(count);
}
