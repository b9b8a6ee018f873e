/**
 * What reaches Tempo's address. Tempo itself cannot be built here (the Go module proxy refuses
 * github.com/grafana/tempo; README, "Stack parts"), so the stack test listens where Tempo would:
 * a second run of our own collector binary receives the OTLP/gRPC the committed collector's
 * `otlp_grpc/tempo` exporter sends, and hands it on as OTLP/JSON to a local sink the test reads.
 * Nothing is decided here: it records, after tail sampling and scrubbing, exactly what Tempo would
 * have been given, and stopping it is "Tempo went away" for the collector.
 */
import path from 'node:path';
import { receivedSpans, startOtlpSink, type OtlpSink, type OtlpSpan } from './otlp-receiver';
import { startServerProcess, type ServerProcess } from './server-process';

/** A listening Tempo endpoint. */
export interface TempoEndpoint {
  /** `127.0.0.1:port`, the gRPC address the collector exports traces to. */
  grpcAddress: string;
  /** Every span that arrived, in arrival order. */
  spans(): OtlpSpan[];
  /** The spans of one trace. */
  trace(traceId: string): OtlpSpan[];
  /** Stops listening (Tempo down); the spans received so far stay readable. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the recorder with the collector binary at `otelcol`, listening for OTLP/gRPC on `grpcPort` (Tempo's). */
export async function startTempoEndpoint(otelcol: string, grpcPort: number): Promise<TempoEndpoint> {
  const sink: OtlpSink = await startOtlpSink(true);
  let server: ServerProcess | undefined;
  try {
    server = await startServerProcess({
      binary: otelcol,
      configName: 'tempo-endpoint.yaml',
      // The health check answers on the readiness path startServerProcess waits for.
      config: (port: number) => ({
        extensions: { health_check: { endpoint: `127.0.0.1:${port}`, path: '/-/ready' } },
        receivers: { otlp: { protocols: { grpc: { endpoint: `127.0.0.1:${grpcPort}` } } } },
        exporters: {
          otlp_http: {
            endpoint: sink.url,
            encoding: 'json',
            compression: 'none',
            sending_queue: { enabled: false },
            retry_on_failure: { enabled: false },
          },
        },
        service: {
          extensions: ['health_check'],
          telemetry: { metrics: { level: 'none' }, logs: { level: 'warn' } },
          pipelines: { traces: { receivers: ['otlp'], exporters: ['otlp_http'] } },
        },
      }),
      argsFor: (configFile) => [`--config=${path.resolve(configFile)}`],
    });
  } catch (err) {
    await sink.close();
    throw err;
  }
  const running = server;
  return {
    grpcAddress: `127.0.0.1:${grpcPort}`,
    spans: () => receivedSpans(sink),
    trace: (traceId) => receivedSpans(sink).filter((s) => s.traceId === traceId),
    stop: () => running.stop(),
    async close() {
      await running.stop();
      await sink.close();
    },
  };
}
