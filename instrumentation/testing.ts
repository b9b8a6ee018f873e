/**
 * In-process SDK wiring for tests: an in-memory span exporter and our pull metric reader behind
 * the global providers, so tests of services/telemetry exercise real SDK behaviour without
 * importing SDK packages themselves. Call once per test file (globals can be set once per process).
 */
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { node as sdkTraceNode } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { PullMetricReader } from './pull-reader';
import { buildResource } from './resource';

/** Providers installed for a test file. */
export interface TestTelemetry {
  reader: PullMetricReader;
  /** Spans ended so far. */
  spans(): ReadableSpan[];
  resetSpans(): void;
  shutdown(): Promise<void>;
}

/** Registers tracer (with context manager and W3C propagator) and meter providers globally. */
export function installTestTelemetry(): TestTelemetry {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new sdkTraceNode.NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  tracerProvider.register();
  const reader = new PullMetricReader();
  const meterProvider = new MeterProvider({ resource: buildResource('services/main.ts'), readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    reader,
    spans: () => exporter.getFinishedSpans(),
    resetSpans: () => exporter.reset(),
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
