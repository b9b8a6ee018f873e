/**
 * SYNTHETIC series for end-to-end tests of rules and dashboards: a loopback HTTP server whose
 * paths answer in the Prometheus text format with series this machine cannot produce for real:
 *
 *   /collector  what the OpenTelemetry Collector exposes about itself (otelcol_*) and pushes from
 *               its spanmetrics and servicegraph connectors (traces_span_metrics_*,
 *               traces_service_graph_*): no collector runs in the tests;
 *   /tempo      Tempo's own intake counter: no Tempo runs in the tests;
 *   /worker     render_storage_free_bytes (added by another change) and render_oom_kills_total
 *               (readable only from a cgroup v2 memory.events, which this CI host does not have).
 *
 * Names and labels are the real ones. Counters grow at every scrape and the free-bytes gauge falls,
 * so rates, increases and predictions have something to work on. Every test that uses this says so.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running synthetic exporter. */
export interface SyntheticSeries {
  /** `127.0.0.1:port`, for a scrape config. */
  address: string;
  stop(): Promise<void>;
}

function collector(n: number): string {
  const bucket = (le: string, v: number) => `otelcol_processor_tail_sampling_sampling_late_span_age_seconds_bucket{le="${le}"} ${v}`;
  const spanBucket = (le: string, v: number) =>
    `traces_span_metrics_duration_milliseconds_bucket{service_name="render-worker",span_name="process render",span_kind="SPAN_KIND_CONSUMER",status_code="STATUS_CODE_UNSET",le="${le}"} ${v}`;
  return [
    '# TYPE otelcol_receiver_accepted_spans_total counter',
    `otelcol_receiver_accepted_spans_total{receiver="otlp",transport="http"} ${100 * n}`,
    '# TYPE otelcol_receiver_refused_spans_total counter',
    `otelcol_receiver_refused_spans_total{receiver="otlp",transport="http"} ${n}`,
    '# TYPE otelcol_exporter_sent_spans_total counter',
    `otelcol_exporter_sent_spans_total{exporter="otlp_grpc/tempo"} ${90 * n}`,
    '# TYPE otelcol_exporter_send_failed_spans_total counter',
    `otelcol_exporter_send_failed_spans_total{exporter="otlp_grpc/tempo"} ${10 * n}`,
    '# TYPE otelcol_exporter_enqueue_failed_spans_total counter',
    `otelcol_exporter_enqueue_failed_spans_total{exporter="otlp_grpc/tempo"} ${n}`,
    '# TYPE otelcol_exporter_queue_size gauge',
    `otelcol_exporter_queue_size{exporter="otlp_grpc/tempo",data_type="traces"} 4500`,
    '# TYPE otelcol_exporter_queue_capacity gauge',
    `otelcol_exporter_queue_capacity{exporter="otlp_grpc/tempo",data_type="traces"} 5000`,
    '# TYPE otelcol_receiver_accepted_metric_points_total counter',
    `otelcol_receiver_accepted_metric_points_total{receiver="spanmetrics"} ${50 * n}`,
    '# TYPE otelcol_exporter_sent_metric_points_total counter',
    `otelcol_exporter_sent_metric_points_total{exporter="otlp_http/prometheus"} ${50 * n}`,
    '# TYPE otelcol_exporter_send_failed_metric_points_total counter',
    `otelcol_exporter_send_failed_metric_points_total{exporter="otlp_http/prometheus"} 0`,
    '# TYPE otelcol_processor_dropped_spans_total counter',
    `otelcol_processor_dropped_spans_total{processor="memory_limiter"} 0`,
    '# TYPE otelcol_processor_refused_spans_total counter',
    `otelcol_processor_refused_spans_total{processor="memory_limiter"} ${n}`,
    '# TYPE otelcol_processor_tail_sampling_count_traces_sampled_total counter',
    `otelcol_processor_tail_sampling_count_traces_sampled_total{policy="render-jobs",sampled="true"} ${5 * n}`,
    `otelcol_processor_tail_sampling_count_traces_sampled_total{policy="share-of-background",sampled="false"} ${20 * n}`,
    '# TYPE otelcol_processor_tail_sampling_sampling_trace_dropped_too_early_total counter',
    `otelcol_processor_tail_sampling_sampling_trace_dropped_too_early_total ${n}`,
    '# TYPE otelcol_processor_tail_sampling_sampling_late_span_age_seconds histogram',
    bucket('1', n),
    bucket('60', 3 * n),
    bucket('600', 4 * n),
    bucket('+Inf', 4 * n),
    `otelcol_processor_tail_sampling_sampling_late_span_age_seconds_sum ${400 * n}`,
    `otelcol_processor_tail_sampling_sampling_late_span_age_seconds_count ${4 * n}`,
    '# TYPE traces_span_metrics_calls_total counter',
    `traces_span_metrics_calls_total{service_name="render-worker",span_name="process render",span_kind="SPAN_KIND_CONSUMER",status_code="STATUS_CODE_UNSET"} ${2 * n}`,
    `traces_span_metrics_calls_total{service_name="render-worker",span_name="process render",span_kind="SPAN_KIND_CONSUMER",status_code="STATUS_CODE_ERROR"} ${n}`,
    '# TYPE traces_span_metrics_duration_milliseconds histogram',
    spanBucket('1000', n),
    spanBucket('60000', 2 * n),
    spanBucket('+Inf', 2 * n),
    `traces_span_metrics_duration_milliseconds_sum{service_name="render-worker",span_name="process render",span_kind="SPAN_KIND_CONSUMER",status_code="STATUS_CODE_UNSET"} ${30000 * n}`,
    `traces_span_metrics_duration_milliseconds_count{service_name="render-worker",span_name="process render",span_kind="SPAN_KIND_CONSUMER",status_code="STATUS_CODE_UNSET"} ${2 * n}`,
    '# TYPE traces_service_graph_request_total counter',
    `traces_service_graph_request_total{client="render-api",server="render-worker",connection_type="messaging_system"} ${2 * n}`,
    '',
  ].join('\n');
}

function tempo(n: number): string {
  return [
    '# TYPE tempo_distributor_spans_received_total counter',
    `tempo_distributor_spans_received_total{tenant="single-tenant"} ${90 * n}`,
    '',
  ].join('\n');
}

function worker(n: number): string {
  // 10 GiB free, losing 100 MiB per scrape: full within hours at this trend.
  const free = 10 * 1024 ** 3 - n * 100 * 1024 ** 2;
  return [
    '# TYPE render_storage_free_bytes gauge',
    `render_storage_free_bytes{volume="scratch"} ${free}`,
    `render_storage_free_bytes{volume="data"} ${50 * 1024 ** 3}`,
    '# TYPE render_oom_kills_total counter',
    `render_oom_kills_total ${Math.floor(n / 3)}`,
    '',
  ].join('\n');
}

/** Starts the synthetic exporter on a free loopback port. */
export async function startSyntheticSeries(): Promise<SyntheticSeries> {
  const scrapes: Record<string, number> = {};
  const pages: Record<string, (n: number) => string> = { '/collector': collector, '/tempo': tempo, '/worker': worker };
  const server = http.createServer((req, res) => {
    const page = pages[req.url ?? ''];
    if (!page) {
      res.writeHead(404).end();
      return;
    }
    scrapes[req.url as string] = (scrapes[req.url as string] ?? 0) + 1;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(page(scrapes[req.url as string]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
