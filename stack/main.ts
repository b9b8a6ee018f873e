/**
 * `make stack`: the whole stack without Docker, on loopback, on compose's ports (stack/ports.ts):
 * every part this machine can build (stack/launch.ts), then the embedded service sending OTLP to the
 * collector. Data under ./data/stack. Ctrl-C stops all; one part exiting stops the rest.
 *   PORT (3000), STACK_PROMETHEUS_PORT (9090), STACK_ALERTMANAGER_PORT (9093)
 *   GRAFANA_ADMIN_PASSWORD  Grafana's admin password (default admin: loopback only)
 *   METRICS_TOKEN           optional; the service requires it and Prometheus scrapes with it
 *   SLACK_WEBHOOK_URL_FILE  optional file holding a Slack incoming-webhook URL; without it alerts
 *                           are only shown in Alertmanager (email and the heartbeat are always off)
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { COMPOSE_PORT_PLAN, type PortPlan, REPO_ROOT, type RunningPart, type StackPartName, startStack } from './launch';
import { httpOk, spawnPart } from './process';

const env = process.env;
const ports: PortPlan = {
  ...COMPOSE_PORT_PLAN,
  api: Number(env.PORT ?? COMPOSE_PORT_PLAN.api),
  prometheus: Number(env.STACK_PROMETHEUS_PORT ?? COMPOSE_PORT_PLAN.prometheus),
  alertmanager: Number(env.STACK_ALERTMANAGER_PORT ?? COMPOSE_PORT_PLAN.alertmanager),
};
const dir = path.join(REPO_ROOT, 'data', 'stack');
const say = (line: string) => console.log(`stack: ${line}`);
const loop = (port: number) => `http://127.0.0.1:${port}`;

/** The embedded service (API + worker in one process), exporting OTLP to the collector as in compose. */
function startService(): Promise<RunningPart> {
  return spawnPart({
    name: 'render',
    binary: path.join(REPO_ROOT, 'scripts', 'node'),
    args: ['--import', 'tsx', '--import', './instrumentation/register.ts', 'services/main.ts'],
    dir: path.join(dir, 'render'),
    env: {
      PORT: String(ports.api),
      HOST: '127.0.0.1',
      RENDER_DATA_DIR: path.join(dir, 'render', 'data'),
      OTEL_EXPORTER_OTLP_ENDPOINT: loop(ports.collector.otlpHttp),
      OTEL_RESOURCE_ATTRIBUTES: `deployment.environment.name=stack,service.instance.id=127.0.0.1:${ports.api}`,
      GRAFANA_URL: loop(ports.grafana),
      PUBLIC_URL: loop(ports.api),
      METRICS_TOKEN: env.METRICS_TOKEN,
    },
    ports: { http: ports.api },
    listeners: [{ name: 'http', port: ports.api }],
    urls: { http: loop(ports.api) },
    ready: () => httpOk(`${loop(ports.api)}/healthz`),
    // The entry points are repository-relative.
    cwd: REPO_ROOT,
    readyTimeoutMs: 120_000,
  });
}

async function main(): Promise<void> {
  const slackFile = env.SLACK_WEBHOOK_URL_FILE;
  const stack = await startStack({
    dir,
    ports,
    skipUnavailable: true,
    alertmanager: { slack: slackFile && existsSync(slackFile) ? { file: path.resolve(slackFile) } : undefined },
    prometheus: { metricsToken: env.METRICS_TOKEN ?? '' },
    onStart: (part: StackPartName) => say(`starting ${part}`),
  });
  for (const s of stack.skipped) say(`${s.part} NOT started: ${s.reason.split('\n')[0].replace(/^stack-bin: /, '')}`);
  let service: RunningPart;
  try {
    say('starting the render service');
    service = await startService();
  } catch (err) {
    await stack.stop();
    throw err;
  }
  const all: RunningPart[] = [...Object.values(stack.parts), service];
  const p = stack.parts;
  say(`service      ${loop(ports.api)}  (metrics /api/metrics; OTLP to the collector on ${ports.collector.otlpHttp})`);
  if (p.collector)
    say(
      `collector    OTLP ${ports.collector.otlpGrpc} (gRPC) / ${ports.collector.otlpHttp} (HTTP), metrics ${loop(ports.collector.metrics)}/metrics, health ${loop(ports.collector.health)}`,
    );
  if (p.prometheus) say(`prometheus   ${loop(ports.prometheus)}  (HTTP API; its web UI needs the compose stack)`);
  if (p.alertmanager) say(`alertmanager ${loop(ports.alertmanager)}  (web UI and API)`);
  if (p.tempo) say(`tempo        ${loop(ports.tempo.http)}  (API: /api/traces/<traceId>, /api/search)`);
  if (p.grafana) say(`grafana      ${loop(ports.grafana)}  (HTTP API only: user admin; its web UI needs the compose stack)`);
  if (p.loki) say(`loki         ${loop(ports.loki.http)}`);
  say(`logs in ${dir}/<part>/<part>.log; Ctrl-C stops all`);

  let stopping = false;
  const stopAll = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    say(why);
    await service.stop();
    await stack.stop();
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll('stopping (Ctrl-C)', 0));
  process.on('SIGTERM', () => void stopAll('stopping (SIGTERM)', 0));
  // A half-running stack would mislead: any one part exiting stops the others.
  const first = await Promise.race(all.map((part) => part.exited.then((e) => ({ part, e }))));
  await stopAll(
    `${first.part.name} exited (code ${first.e.code}, signal ${first.e.signal}); see ${first.part.logPath}; stopping the rest`,
    1,
  );
}

main().catch((err: Error) => {
  console.error(`stack: ${err.message}`);
  process.exit(1);
});
