/**
 * The one source of the Prometheus configuration: the docker-compose file (prometheus/prometheus.yml,
 * generated and committed) and the loopback variant `make stack` and the tests write come from the
 * same function, so scrape jobs, paths and the token handling cannot drift apart.
 */

/** `host:port` targets per scrape job; an empty list leaves the job out. */
export interface ScrapeTargets {
  api: string[];
  workers: string[];
  collector: string[];
  alertmanager: string[];
  prometheus: string[];
  /** Tempo's own metrics (:3200/metrics); optional, absent in the loopback variant. */
  tempo?: string[];
}

/** Everything that differs between deployments. */
export interface PrometheusConfigOptions {
  targets: ScrapeTargets;
  /** Bearer token file for the render jobs; an empty file means "no token" (Prometheus then sends a bare `Bearer`, which the services ignore when METRICS_TOKEN is unset). */
  credentialsFile: string;
  ruleFiles: string[];
  scrapeInterval: string;
  evaluationInterval: string;
  /**
   * Prometheus 3's OTLP receiver settings (the collector pushes span metrics and the service graph
   * there). Only the compose stack runs Prometheus 3; Debian's 2.x refuses the `otlp` block.
   */
  otlp?: boolean;
}

/**
 * Resource attributes the OTLP receiver turns into labels on the pushed series (service.name and
 * service.instance.id already become job and instance): the environment filters every dashboard.
 */
export const OTLP_PROMOTED_RESOURCE_ATTRIBUTES = ['deployment.environment.name', 'service.namespace', 'service.version'];

/**
 * Late samples accepted per series. The collector flushes span metrics every 15s and retries a
 * failed push; a retry after a Prometheus restart would otherwise be refused as out of order.
 */
export const OUT_OF_ORDER_WINDOW = '10m';

/** Rule files, relative to the directory holding the generated prometheus.yml. */
export const RULE_FILES = ['rules/render-recording.yml', 'rules/render-alerts.yml'];

/**
 * The docker-compose stack: targets are compose service names; prometheus/ is mounted at
 * /etc/prometheus (rule paths are relative to it) and the token file at a fixed path.
 */
export const COMPOSE_OPTIONS: PrometheusConfigOptions = {
  targets: {
    api: ['api:3000'],
    workers: ['worker-1:9464', 'worker-2:9464'],
    collector: ['otel-collector:8888'],
    alertmanager: ['alertmanager:9093'],
    prometheus: ['prometheus:9090'],
    tempo: ['tempo:3200'],
  },
  credentialsFile: '/etc/prometheus/secrets/metrics-token',
  ruleFiles: RULE_FILES,
  scrapeInterval: '15s',
  evaluationInterval: '15s',
  otlp: true,
};

/** Ports of the loopback variant (`make stack`, tests): the embedded service has no separate workers. */
export interface LoopbackPorts {
  api: number;
  prometheus: number;
  alertmanager: number;
  /** The collector's own metrics port (8888 under make stack); scraped when given. */
  collector?: number;
  /** Tempo's HTTP port (its /metrics); scraped when given. */
  tempo?: number;
}

/**
 * Options for the loopback variant; `dir` holds the token file, rule paths are absolute. `otlp`
 * turns on the OTLP receiver's settings, which only Prometheus 3 (the pinned one stack/launch.ts
 * runs) accepts; Debian's 2.x refuses them.
 */
export function loopbackOptions(
  ports: LoopbackPorts,
  credentialsFile: string,
  ruleFiles: string[],
  extra: { otlp?: boolean } = {},
): PrometheusConfigOptions {
  return {
    targets: {
      api: [`127.0.0.1:${ports.api}`],
      workers: [],
      collector: ports.collector ? [`127.0.0.1:${ports.collector}`] : [],
      alertmanager: [`127.0.0.1:${ports.alertmanager}`],
      prometheus: [`127.0.0.1:${ports.prometheus}`],
      tempo: ports.tempo ? [`127.0.0.1:${ports.tempo}`] : [],
    },
    credentialsFile,
    ruleFiles,
    scrapeInterval: '15s',
    evaluationInterval: '15s',
    otlp: extra.otlp,
  };
}

/** Builds the prometheus.yml object. */
export function prometheusConfig(o: PrometheusConfigOptions): Record<string, unknown> {
  const auth = { authorization: { type: 'Bearer', credentials_file: o.credentialsFile } };
  const jobs: Record<string, unknown>[] = [];
  const add = (name: string, targets: string[], extra: Record<string, unknown> = {}) => {
    if (targets.length) jobs.push({ job_name: name, ...extra, static_configs: [{ targets }] });
  };
  add('render-api', o.targets.api, { metrics_path: '/api/metrics', ...auth });
  add('render-worker', o.targets.workers, { metrics_path: '/metrics', ...auth });
  add('otel-collector', o.targets.collector);
  add('alertmanager', o.targets.alertmanager);
  add('prometheus', o.targets.prometheus);
  add('tempo', o.targets.tempo ?? []);
  return {
    global: { scrape_interval: o.scrapeInterval, evaluation_interval: o.evaluationInterval },
    rule_files: o.ruleFiles,
    alerting: { alertmanagers: [{ static_configs: [{ targets: o.targets.alertmanager }] }] },
    scrape_configs: jobs,
    ...(o.otlp
      ? {
          otlp: { promote_resource_attributes: OTLP_PROMOTED_RESOURCE_ATTRIBUTES },
          storage: { tsdb: { out_of_order_time_window: OUT_OF_ORDER_WINDOW } },
        }
      : {}),
  };
}
