/**
 * OTLP log export with accounting, the twin of span-export.ts: a bounded BatchLogRecordProcessor
 * whose overflow and failed exports are counted in `telemetry_log_records_dropped_total` /
 * `telemetry_export_failures_total{signal="logs"}`, so a collector that is down or slow costs
 * bounded memory and a visible counter, never a blocked request or a failed job. The stdout JSON
 * lines are written before any of this and do not depend on it.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import {
  BatchLogRecordProcessor,
  type LogRecordExporter,
  type LogRecordProcessor,
  type ReadableLogRecord,
  type ReadWriteLogRecord,
} from '@opentelemetry/sdk-logs';
import { recordLogRecordsDropped, recordTelemetryExportFailure } from '../telemetry-bridge/pipeline-metrics';
import type { BatchLimits } from './span-export';

/** Wraps an exporter to report every batch it takes and to count failed exports with their records. */
export class CountingLogRecordExporter implements LogRecordExporter {
  constructor(
    private readonly inner: LogRecordExporter,
    private readonly onTaken: (count: number) => void,
  ) {}

  export(records: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    this.onTaken(records.length);
    const done = (result: ExportResult) => {
      if (result.code !== ExportResultCode.SUCCESS) recordTelemetryExportFailure('logs', records.length);
      resultCallback(result);
    };
    try {
      this.inner.export(records, done);
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
}

/**
 * A BatchLogRecordProcessor that enforces its queue bound itself, so each record it refuses is
 * counted in our metric (the stock one reports drops only as `otel.sdk.*` self-metrics behind an
 * experimental flag). `queued` counts records handed over and not yet taken by an export.
 */
export class AccountedBatchLogRecordProcessor implements LogRecordProcessor {
  private readonly inner: BatchLogRecordProcessor;
  private queued = 0;

  constructor(
    exporter: LogRecordExporter,
    private readonly limits: BatchLimits,
  ) {
    const counting = new CountingLogRecordExporter(exporter, (n) => (this.queued = Math.max(0, this.queued - n)));
    this.inner = new BatchLogRecordProcessor({ exporter: counting, ...limits });
  }

  /** Records waiting for export right now. */
  get queueLength(): number {
    return this.queued;
  }

  onEmit(record: ReadWriteLogRecord): void {
    if (this.queued >= this.limits.maxQueueSize) {
      recordLogRecordsDropped(1);
      return;
    }
    this.queued++;
    this.inner.onEmit(record);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
