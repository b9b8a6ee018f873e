/**
 * Span export with accounting: a bounded BatchSpanProcessor whose overflow and failed exports are
 * counted in `telemetry_spans_dropped_total` / `telemetry_export_failures_total`, so a collector
 * that is down or slow costs bounded memory and a visible counter, never a failed job.
 */
import { TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BatchSpanProcessor, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { recordSpansDropped, recordTelemetryExportFailure } from '../telemetry-bridge/pipeline-metrics';

/** Queue and timing bounds of the batch processor. */
export interface BatchLimits {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

/** Wraps an exporter to report every batch it takes and to count failed exports with their spans. */
export class CountingSpanExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly onTaken: (count: number) => void,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.onTaken(spans.length);
    const done = (result: ExportResult) => {
      if (result.code !== ExportResultCode.SUCCESS) recordTelemetryExportFailure('traces', spans.length);
      resultCallback(result);
    };
    try {
      this.inner.export(spans, done);
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/**
 * A BatchSpanProcessor that enforces its queue bound itself, so each span it refuses is counted in
 * the metric our alert reads. The stock processor reports drops only through `diag` (silent unless
 * OTEL_LOG_LEVEL is set) and, behind OTEL_NODE_EXPERIMENTAL_SDK_METRICS, as `otel.sdk.*`
 * self-metrics that rules and dashboards do not query. `queued` counts spans handed over and not
 * yet taken by an export.
 */
export class AccountedBatchSpanProcessor implements SpanProcessor {
  private readonly inner: BatchSpanProcessor;
  private queued = 0;

  constructor(
    exporter: SpanExporter,
    private readonly limits: BatchLimits,
  ) {
    const counting = new CountingSpanExporter(exporter, (n) => (this.queued = Math.max(0, this.queued - n)));
    this.inner = new BatchSpanProcessor({ exporter: counting, ...limits });
  }

  /** Spans waiting for export right now. */
  get queueLength(): number {
    return this.queued;
  }

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queued >= this.limits.maxQueueSize) {
      recordSpansDropped(1);
      return;
    }
    this.queued++;
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
