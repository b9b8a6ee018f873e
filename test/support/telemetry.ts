/**
 * In-process SDK wiring for tests: an in-memory span exporter and our pull metric reader behind
 * the global providers, so tests of services/telemetry exercise real SDK behaviour without
 * importing SDK packages themselves. Call once per test file (globals can be set once per process).
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { PullMetricReader } from '../../instrumentation/pull-reader';
import { buildResource } from '../../instrumentation/resource';

/** Providers installed for a test file. */
export interface TestTelemetry {
  reader: PullMetricReader;
  /** Spans ended so far. */
  spans(): ReadableSpan[];
  resetSpans(): void;
  shutdown(): Promise<void>;
}

/** Registers tracer (with context manager and W3C propagator) and meter providers globally, as NodeSDK does. */
export function installTestTelemetry(): TestTelemetry {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
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
