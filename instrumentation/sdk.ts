/**
 * Builds and starts the NodeSDK: hand-built resource, selected auto-instrumentations, OTLP/HTTP
 * trace export from a worker thread (http/protobuf by default, http/json on request) through an accounted batch processor (or none, with spans still created for
 * their ids when OTEL_TRACES_EXPORTER=none), OTLP/HTTP log export of the pino records from the same
 * thread through an accounted batch processor (off with OTEL_LOGS_EXPORTER=none), our pull metric
 * reader published through telemetry-bridge to the app's scrape routes (`/api/metrics`, a worker's
 * `/metrics`) and no metrics push. Shutdown is bounded.
 */
import { createNoopMeter, diag } from '@opentelemetry/api';
import { ConsoleLogRecordExporter, type LogRecordProcessor, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ConsoleSpanExporter, NoopSpanProcessor, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { registerTelemetryShutdown } from '../telemetry-bridge/shutdown';
import { publishMetricsCollector } from '../telemetry-bridge/metrics-collector';
import { logExporterNames, otlpProtocol, positiveInt, traceExporterNames } from './env';
import type { SignalOptions, ThreadOptions } from './export-thread-protocol';
import { createInstrumentations } from './instrumentations';
import { AccountedBatchLogRecordProcessor } from './log-export';
import { PullMetricReader } from './pull-reader';
import { samplerFromEnv } from './read-sampler';
import { buildResource } from './resource';
import { AccountedBatchSpanProcessor, type BatchLimits } from './span-export';
import { ExportThread, ThreadedOtlpExporter, ThreadedOtlpLogExporter } from './threaded-exporter';

/** The longest the SDK's final flush may delay exit. */
export const SHUTDOWN_BUDGET_MS = 2000;

/** Batch bounds from the standard OTEL_BSP_* variables, with a short export timeout by default. */
export function batchLimits(env: NodeJS.ProcessEnv = process.env): BatchLimits {
  const maxQueueSize = positiveInt(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048);
  return {
    maxQueueSize,
    maxExportBatchSize: Math.min(maxQueueSize, positiveInt(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512)),
    scheduledDelayMillis: positiveInt(env, 'OTEL_BSP_SCHEDULE_DELAY', 2000),
    exportTimeoutMillis: positiveInt(env, 'OTEL_BSP_EXPORT_TIMEOUT', 5000),
  };
}

/** Log batch bounds from the standard OTEL_BLRP_* variables, with the same short export timeout by default. */
export function logBatchLimits(env: NodeJS.ProcessEnv = process.env): BatchLimits {
  const maxQueueSize = positiveInt(env, 'OTEL_BLRP_MAX_QUEUE_SIZE', 2048);
  return {
    maxQueueSize,
    maxExportBatchSize: Math.min(maxQueueSize, positiveInt(env, 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE', 512)),
    scheduledDelayMillis: positiveInt(env, 'OTEL_BLRP_SCHEDULE_DELAY', 1000),
    exportTimeoutMillis: positiveInt(env, 'OTEL_BLRP_EXPORT_TIMEOUT', 5000),
  };
}

/**
 * A signal's OTLP/HTTP exporter settings: the configured protocol and our bounds; endpoint, headers
 * and path come from OTEL_EXPORTER_OTLP_*, read by the library inside the export thread.
 */
function signalOptions(signal: 'TRACES' | 'LOGS', env: NodeJS.ProcessEnv): SignalOptions {
  const { protocol, warning } = otlpProtocol(signal, env);
  // diag is silent unless OTEL_LOG_LEVEL is set, and a misconfigured protocol should not go unnoticed.
  if (warning) console.warn(`render-o11y: ${warning}`);
  const timeoutSet = env[`OTEL_EXPORTER_OTLP_${signal}_TIMEOUT`] || env.OTEL_EXPORTER_OTLP_TIMEOUT;
  return { protocol, config: { concurrencyLimit: 4, ...(timeoutSet ? {} : { timeoutMillis: 5000 }) } };
}

/** The one export thread of the process, started with the signals that export OTLP; none when neither does. */
function exportThread(env: NodeJS.ProcessEnv): ExportThread | undefined {
  const options: ThreadOptions = {};
  if (traceExporterNames(env).includes('otlp')) options.traces = signalOptions('TRACES', env);
  if (logExporterNames(env).includes('otlp')) options.logs = signalOptions('LOGS', env);
  return options.traces || options.logs ? new ExportThread(options) : undefined;
}

function logRecordProcessors(env: NodeJS.ProcessEnv, thread: ExportThread | undefined): LogRecordProcessor[] {
  const processors: LogRecordProcessor[] = [];
  for (const name of logExporterNames(env)) {
    if (name === 'otlp' && thread?.options.logs) {
      processors.push(new AccountedBatchLogRecordProcessor(new ThreadedOtlpLogExporter(thread.options.logs, thread), logBatchLimits(env)));
    } else if (name === 'console') {
      processors.push(new SimpleLogRecordProcessor({ exporter: new ConsoleLogRecordExporter() }));
    } else if (name !== 'otlp') {
      diag.warn(`OTEL_LOGS_EXPORTER: unsupported exporter "${name}" ignored (supported: otlp, console, none)`);
    }
  }
  return processors;
}

function spanProcessors(env: NodeJS.ProcessEnv, thread: ExportThread | undefined): SpanProcessor[] {
  const processors: SpanProcessor[] = [];
  for (const name of traceExporterNames(env)) {
    if (name === 'otlp' && thread?.options.traces) {
      processors.push(new AccountedBatchSpanProcessor(new ThreadedOtlpExporter(thread.options.traces, thread), batchLimits(env)));
    } else if (name === 'console') {
      processors.push(new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }));
    } else if (name !== 'otlp') {
      diag.warn(`OTEL_TRACES_EXPORTER: unsupported exporter "${name}" ignored (supported: otlp, console, none)`);
    }
  }
  return processors;
}

/** Settles when `work` does or after SHUTDOWN_BUDGET_MS, whichever is first; never rejects. */
export function bounded(work: Promise<void>, budgetMs = SHUTDOWN_BUDGET_MS): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, budgetMs);
    timer.unref();
    const done = () => (clearTimeout(timer), resolve());
    work.then(done, done);
  });
}

/** What a started SDK exposes to the bootstrap and to tests. */
export interface StartedTelemetry {
  reader: PullMetricReader;
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

/** Starts the SDK and publishes the metrics collector and the bounded shutdown. */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): StartedTelemetry {
  const reader = new PullMetricReader();
  const thread = exportThread(env);
  const processors = spanProcessors(env, thread);
  const logProcessors = logRecordProcessors(env, thread);
  const instrumentations = createInstrumentations(env, logProcessors.length > 0);
  const sdk = new NodeSDK({
    resource: buildResource(),
    autoDetectResources: false,
    instrumentations,
    // NodeSDK registers no tracer provider without a processor; with export off, jobs still need
    // trace ids (job traceId, log correlation, exemplars), so spans are made and dropped at the end.
    spanProcessors: processors.length > 0 ? processors : [new NoopSpanProcessor()],
    // Status polls and the admin page sampled at the head (read-sampler.ts); undefined lets OTEL_TRACES_SAMPLER rule.
    sampler: samplerFromEnv(env),
    metricReaders: [reader],
    // Empty (OTEL_LOGS_EXPORTER=none): a provider with no processor, and the pino instrumentation is not created.
    logRecordProcessors: logProcessors,
  });
  sdk.start();
  // NodeSDK hands every instrumentation the global MeterProvider; http's per-request duration
  // histogram is not used by our rules or dashboards and costs API throughput, so it gets a no-op one.
  const noopMeters = { getMeter: () => createNoopMeter() };
  for (const i of instrumentations) if (i.instrumentationName === '@opentelemetry/instrumentation-http') i.setMeterProvider(noopMeters);
  publishMetricsCollector(reader.collector());
  let stopping: Promise<void> | undefined;
  const shutdown = () => (stopping ??= bounded(sdk.shutdown()));
  registerTelemetryShutdown(shutdown);
  const forceFlush = () => bounded(Promise.all([...processors, ...logProcessors].map((p) => p.forceFlush())).then(() => undefined));
  return { reader, shutdown, forceFlush };
}
