/**
 * Starts the stack's parts as real processes on loopback, from the committed configs: the collector
 * built from otel-collector/builder-config.yaml, Prometheus (pinned), Debian's Alertmanager, Tempo,
 * Grafana's server, Loki and Toxiproxy. Each start function takes `{ dir, ports, env }` (the part's
 * folder, the whole port plan, extra environment) and resolves once the part answers its readiness
 * check. startStack() starts them in dependency order. make stack (stack/main.ts) and the tests use
 * the same functions; the layouts differ only in the port plan and a few variables.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { grafanaUrlTemplate, type LoopbackAlertmanagerOptions, loopbackAlertmanagerConfig } from '../prometheus/alertmanager-config';
import { loopbackOptions, type PrometheusConfigOptions, prometheusConfig, RULE_FILES } from '../prometheus/prometheus-config';
import { assertNoCollision, type CollectorPorts, type LokiPorts, type PortPlan, type TempoPorts } from './ports';
import { httpOk, type RunningPart, spawnPart } from './process';

export type { PortPlan } from './ports';
export { COMPOSE_PORT_PLAN, freePortPlan } from './ports';
export type { RunningPart } from './process';

export const REPO_ROOT = path.join(__dirname, '..');
const LOOPBACK = '127.0.0.1';
const url = (port: number) => `http://${LOOPBACK}:${port}`;

/** What every start function takes. */
export interface PartOptions {
  /** The part's own folder: config it writes, data, `<part>.log`. */
  dir: string;
  /** The whole plan: a part listens on its own ports and finds its peers at theirs. */
  ports: PortPlan;
  /** Extra environment for the process (e.g. OTELCOL_DECISION_WAIT=5s). */
  env?: Record<string, string | undefined>;
  readyTimeoutMs?: number;
}

/** A part this machine cannot build (stack-bin.sh's exit 3), with its reason. */
export class PartUnavailableError extends Error {
  constructor(
    readonly part: string,
    message: string,
  ) {
    super(message);
    this.name = 'PartUnavailableError';
  }
}

/**
 * The binary of a stack part, from scripts/stack-bin.sh: built into the cache outside the
 * repository on first use (its progress goes to this process's stderr), reused afterwards.
 */
export function stackBin(part: 'otelcol' | 'prometheus' | 'promtool' | 'tempo' | 'grafana' | 'loki' | 'toxiproxy-server'): string {
  const r = spawnSync(path.join(REPO_ROOT, 'scripts', 'stack-bin.sh'), [part], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.stderr) process.stderr.write(r.stderr);
  if (r.status === 3) throw new PartUnavailableError(part, r.stderr.trim() || `${part} cannot be built here`);
  if (r.status !== 0) throw new Error(`scripts/stack-bin.sh ${part} failed (exit ${r.status ?? r.signal}):\n${r.stderr}`);
  return r.stdout.trim();
}

function listeners(prefix: string, ports: object): { name: string; port: number }[] {
  return Object.entries(ports).map(([k, port]) => ({ name: `${prefix}.${k}`, port: port as number }));
}

/** The collector: otel-collector/config.yaml with loopback addresses through its OTELCOL_* variables. */
export async function startCollector(o: PartOptions): Promise<RunningPart<CollectorPorts>> {
  const p = o.ports.collector;
  return spawnPart({
    name: 'otelcol',
    binary: stackBin('otelcol'),
    args: [`--config=${path.join(REPO_ROOT, 'otel-collector', 'config.yaml')}`],
    dir: o.dir,
    env: {
      OTELCOL_LISTEN_HOST: LOOPBACK,
      OTELCOL_OTLP_GRPC_PORT: String(p.otlpGrpc),
      OTELCOL_OTLP_HTTP_PORT: String(p.otlpHttp),
      OTELCOL_METRICS_PORT: String(p.metrics),
      OTELCOL_HEALTH_PORT: String(p.health),
      OTELCOL_TEMPO_ENDPOINT: `${LOOPBACK}:${o.ports.tempo.otlpGrpc}`,
      OTELCOL_PROMETHEUS_OTLP_URL: `${url(o.ports.prometheus)}/api/v1/otlp`,
      ...o.env,
    },
    ports: p,
    listeners: listeners('collector', p),
    urls: { otlpHttp: url(p.otlpHttp), metrics: `${url(p.metrics)}/metrics`, health: url(p.health) },
    ready: () => httpOk(url(p.health)),
    readyTimeoutMs: o.readyTimeoutMs,
  });
}

export interface PrometheusOptions extends PartOptions {
  /** Rule files (absolute); the committed ones by default. Tests pass time-scaled copies. */
  ruleFiles?: string[];
  /** Changes to the generated configuration (e.g. a shorter scrape interval). */
  adjust?: (o: PrometheusConfigOptions) => PrometheusConfigOptions;
  /** Written to the bearer token file Prometheus scrapes the service with; empty means none. */
  metricsToken?: string;
  /** Which parts' own metrics it scrapes besides the service, itself and Alertmanager (default both). */
  scrape?: { collector?: boolean; tempo?: boolean };
}

/** The pinned Prometheus, with the loopback variant of prometheus/prometheus-config.ts and the OTLP receiver on. */
export async function startPrometheus(o: PrometheusOptions): Promise<RunningPart<{ http: number }>> {
  const port = o.ports.prometheus;
  mkdirSync(o.dir, { recursive: true });
  const tokenFile = path.join(o.dir, 'metrics-token');
  writeFileSync(tokenFile, o.metricsToken ?? '', { mode: 0o600 });
  const rules = o.ruleFiles ?? RULE_FILES.map((f) => path.join(REPO_ROOT, 'prometheus', f));
  const base = loopbackOptions(
    {
      api: o.ports.api,
      prometheus: port,
      alertmanager: o.ports.alertmanager,
      collector: o.scrape?.collector === false ? undefined : o.ports.collector.metrics,
      tempo: o.scrape?.tempo === false ? undefined : o.ports.tempo.http,
    },
    tokenFile,
    rules,
    { otlp: true },
  );
  const configFile = path.join(o.dir, 'prometheus.yml');
  writeFileSync(configFile, YAML.stringify(prometheusConfig(o.adjust ? o.adjust(base) : base), { aliasDuplicateObjects: false }));
  return spawnPart({
    name: 'prometheus',
    binary: stackBin('prometheus'),
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(o.dir, 'data')}`,
      `--web.listen-address=${LOOPBACK}:${port}`,
      // Links in alerts (generatorURL) point at the address this layout serves.
      `--web.external-url=${url(port)}`,
      '--web.enable-lifecycle',
      '--web.enable-otlp-receiver',
      '--enable-feature=exemplar-storage',
      '--log.level=warn',
    ],
    dir: o.dir,
    env: o.env,
    ports: { http: port },
    listeners: [{ name: 'http', port }],
    urls: { http: url(port) },
    ready: () => httpOk(`${url(port)}/-/ready`),
    readyTimeoutMs: o.readyTimeoutMs,
  });
}

export interface AlertmanagerOptions extends PartOptions {
  /** Receivers, templates, grouping: the loopback variant of prometheus/alertmanager.yml. */
  alertmanager?: LoopbackAlertmanagerOptions;
}

/**
 * Debian's Alertmanager (the module cannot be built: README, "Stack parts"), with the loopback
 * variant of the committed config; message links point at this layout's Grafana.
 */
export async function startAlertmanager(o: AlertmanagerOptions): Promise<RunningPart<{ http: number }>> {
  const port = o.ports.alertmanager;
  mkdirSync(o.dir, { recursive: true });
  const grafanaTemplate = path.join(o.dir, 'grafana-url.tmpl');
  writeFileSync(grafanaTemplate, grafanaUrlTemplate(url(o.ports.grafana)));
  const options = o.alertmanager ?? {};
  const config = loopbackAlertmanagerConfig({ ...options, templateFiles: [grafanaTemplate, ...(options.templateFiles ?? [])] });
  const configFile = path.join(o.dir, 'alertmanager.yml');
  writeFileSync(configFile, YAML.stringify(config));
  return spawnPart({
    name: 'alertmanager',
    binary: 'prometheus-alertmanager',
    args: [
      `--config.file=${configFile}`,
      `--storage.path=${path.join(o.dir, 'data')}`,
      `--web.listen-address=${LOOPBACK}:${port}`,
      `--web.external-url=${url(port)}`,
      // An empty cluster address: no gossip listener at all.
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    dir: o.dir,
    env: o.env,
    ports: { http: port },
    listeners: [{ name: 'http', port }],
    urls: { http: url(port) },
    ready: () => httpOk(`${url(port)}/-/ready`),
    readyTimeoutMs: o.readyTimeoutMs,
  });
}

/** Tempo single binary: tempo/tempo.yaml with -config.expand-env and the plan's TEMPO_* ports. */
export async function startTempo(o: PartOptions): Promise<RunningPart<TempoPorts>> {
  const p = o.ports.tempo;
  return spawnPart({
    name: 'tempo',
    binary: stackBin('tempo'),
    args: [`-config.file=${path.join(REPO_ROOT, 'tempo', 'tempo.yaml')}`, '-config.expand-env=true'],
    dir: o.dir,
    env: {
      TEMPO_LISTEN_HOST: LOOPBACK,
      TEMPO_HTTP_PORT: String(p.http),
      TEMPO_GRPC_PORT: String(p.grpc),
      TEMPO_OTLP_GRPC_PORT: String(p.otlpGrpc),
      TEMPO_OTLP_HTTP_PORT: String(p.otlpHttp),
      TEMPO_MEMBERLIST_PORT: String(p.memberlist),
      TEMPO_DATA_DIR: path.join(o.dir, 'data'),
      ...o.env,
    },
    ports: p,
    listeners: listeners('tempo', p),
    urls: { http: url(p.http) },
    ready: () => httpOk(`${url(p.http)}/ready`),
    readyTimeoutMs: o.readyTimeoutMs ?? 120_000,
  });
}

export interface GrafanaOptions extends PartOptions {
  /** The admin password; GRAFANA_ADMIN_PASSWORD, else `admin` (loopback only). */
  adminPassword?: string;
}

/**
 * Grafana's server with the committed provisioning; datasource URLs point at this plan's parts.
 * Its home folder (conf/defaults.ini) is the binary's parent's parent unless STACK_GRAFANA_HOME names
 * it. The web front end is not a Go artefact: its HTTP API, provisioning and queries work without it.
 */
export async function startGrafana(o: GrafanaOptions): Promise<RunningPart<{ http: number }>> {
  const port = o.ports.grafana;
  const binary = stackBin('grafana');
  const home = process.env.STACK_GRAFANA_HOME ?? path.dirname(path.dirname(binary));
  return spawnPart({
    name: 'grafana',
    binary,
    args: ['server', `--homepath=${home}`],
    dir: o.dir,
    env: {
      GF_SERVER_HTTP_ADDR: LOOPBACK,
      GF_SERVER_HTTP_PORT: String(port),
      GF_SERVER_ROOT_URL: url(port),
      GF_PATHS_DATA: path.join(o.dir, 'data'),
      GF_PATHS_LOGS: path.join(o.dir, 'logs'),
      GF_PATHS_PLUGINS: path.join(o.dir, 'plugins'),
      GF_PATHS_PROVISIONING: path.join(REPO_ROOT, 'grafana', 'provisioning'),
      GF_SECURITY_ADMIN_USER: 'admin',
      GF_SECURITY_ADMIN_PASSWORD: o.adminPassword ?? process.env.GRAFANA_ADMIN_PASSWORD ?? 'admin',
      GF_USERS_ALLOW_SIGN_UP: 'false',
      GF_ANALYTICS_REPORTING_ENABLED: 'false',
      GF_ANALYTICS_CHECK_FOR_UPDATES: 'false',
      GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: 'false',
      GF_NEWS_NEWS_FEED_ENABLED: 'false',
      GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: path.join(REPO_ROOT, 'grafana', 'dashboards', 'render-overview.json'),
      RENDER_PROMETHEUS_URL: url(o.ports.prometheus),
      RENDER_TEMPO_URL: url(o.ports.tempo.http),
      RENDER_ALERTMANAGER_URL: url(o.ports.alertmanager),
      RENDER_DASHBOARDS_DIR: path.join(REPO_ROOT, 'grafana', 'dashboards'),
      ...o.env,
    },
    ports: { http: port },
    listeners: [{ name: 'http', port }],
    urls: { http: url(port) },
    ready: () => httpOk(`${url(port)}/api/health`),
    readyTimeoutMs: o.readyTimeoutMs ?? 120_000,
  });
}

/** Loki single binary: loki/loki.yaml with -config.expand-env and the plan's LOKI_* ports. */
export async function startLoki(o: PartOptions): Promise<RunningPart<LokiPorts>> {
  const p = o.ports.loki;
  const config = path.join(REPO_ROOT, 'loki', 'loki.yaml');
  if (!existsSync(config)) throw new Error(`loki: ${config} is missing`);
  return spawnPart({
    name: 'loki',
    binary: stackBin('loki'),
    args: [`-config.file=${config}`, '-config.expand-env=true'],
    dir: o.dir,
    env: {
      LOKI_LISTEN_HOST: LOOPBACK,
      LOKI_HTTP_PORT: String(p.http),
      LOKI_GRPC_PORT: String(p.grpc),
      LOKI_MEMBERLIST_PORT: String(p.memberlist),
      LOKI_DATA_DIR: path.join(o.dir, 'data'),
      ...o.env,
    },
    ports: p,
    listeners: listeners('loki', p),
    urls: { http: url(p.http) },
    ready: () => httpOk(`${url(p.http)}/ready`),
    readyTimeoutMs: o.readyTimeoutMs ?? 120_000,
  });
}

/** Toxiproxy's server (API only; tests create the proxies they need through its API). */
export async function startToxiproxy(o: PartOptions): Promise<RunningPart<{ http: number }>> {
  const port = o.ports.toxiproxy;
  return spawnPart({
    name: 'toxiproxy',
    binary: stackBin('toxiproxy-server'),
    args: ['-host', LOOPBACK, '-port', String(port)],
    dir: o.dir,
    env: o.env,
    ports: { http: port },
    listeners: [{ name: 'http', port }],
    urls: { http: url(port) },
    ready: () => httpOk(`${url(port)}/version`),
    readyTimeoutMs: o.readyTimeoutMs,
  });
}

export type StackPartName = 'alertmanager' | 'prometheus' | 'tempo' | 'loki' | 'collector' | 'grafana' | 'toxiproxy';

/** Dependency order: what a part sends to or queries is up before it. */
export const START_ORDER: readonly StackPartName[] = ['alertmanager', 'prometheus', 'tempo', 'loki', 'collector', 'grafana', 'toxiproxy'];

export interface StackOptions {
  /** Each part gets `<dir>/<part>`. */
  dir: string;
  ports: PortPlan;
  /** Which parts; default every part of START_ORDER but Toxiproxy. */
  parts?: StackPartName[];
  /**
   * Parts this machine cannot build (PartUnavailableError) are skipped, with their reason in
   * `skipped`, when true; when false (default) their error is thrown.
   */
  skipUnavailable?: boolean;
  /** Extra environment per part. */
  env?: Partial<Record<StackPartName, Record<string, string | undefined>>>;
  prometheus?: Omit<PrometheusOptions, keyof PartOptions>;
  alertmanager?: LoopbackAlertmanagerOptions;
  grafana?: Omit<GrafanaOptions, keyof PartOptions>;
  /** Called before each part starts (make stack prints it). */
  onStart?: (part: StackPartName) => void;
}

export interface RunningStack {
  parts: Partial<Record<StackPartName, RunningPart>>;
  skipped: { part: StackPartName; reason: string }[];
  /** Resolves with the first part that exits, for whatever reason. */
  firstExit: Promise<RunningPart>;
  /** Stops every part, in reverse start order. */
  stop(): Promise<void>;
}

/** Starts the chosen parts in dependency order; on any failure the ones already up are stopped. */
export async function startStack(o: StackOptions): Promise<RunningStack> {
  assertNoCollision(o.ports);
  const wanted = new Set(o.parts ?? START_ORDER.filter((p) => p !== 'toxiproxy'));
  const started: [StackPartName, RunningPart][] = [];
  const skipped: RunningStack['skipped'] = [];
  // Known before anything starts, so Prometheus scrapes only parts that will run.
  const binaries: Partial<Record<StackPartName, Parameters<typeof stackBin>[0]>> = {
    tempo: 'tempo',
    loki: 'loki',
    grafana: 'grafana',
    collector: 'otelcol',
    prometheus: 'prometheus',
    toxiproxy: 'toxiproxy-server',
  };
  for (const name of START_ORDER) {
    const bin = binaries[name];
    if (!wanted.has(name) || !bin) continue;
    try {
      stackBin(bin);
    } catch (err) {
      if (!(o.skipUnavailable && err instanceof PartUnavailableError)) throw err;
      skipped.push({ part: name, reason: err.message });
      wanted.delete(name);
    }
  }
  const stop = async () => {
    for (const [, part] of [...started].reverse()) await part.stop();
  };
  const opts = (name: StackPartName): PartOptions => ({ dir: path.join(o.dir, name), ports: o.ports, env: o.env?.[name] });
  const starters: Record<StackPartName, () => Promise<RunningPart>> = {
    alertmanager: () => startAlertmanager({ ...opts('alertmanager'), alertmanager: o.alertmanager }),
    prometheus: () =>
      startPrometheus({
        ...opts('prometheus'),
        scrape: { collector: wanted.has('collector'), tempo: wanted.has('tempo') },
        ...o.prometheus,
      }),
    tempo: () => startTempo(opts('tempo')),
    loki: () => startLoki(opts('loki')),
    collector: () => startCollector(opts('collector')),
    grafana: () => startGrafana({ ...opts('grafana'), ...o.grafana }),
    toxiproxy: () => startToxiproxy(opts('toxiproxy')),
  };
  try {
    for (const name of START_ORDER) {
      if (!wanted.has(name)) continue;
      o.onStart?.(name);
      started.push([name, await starters[name]()]);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const firstExit = Promise.race(started.map(([, part]) => part.exited.then(() => part)));
  return { parts: Object.fromEntries(started), skipped, firstExit, stop };
}
