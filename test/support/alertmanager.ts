/**
 * Runs Debian's real Alertmanager for end-to-end tests, and a local HTTP receiver that records what
 * Alertmanager posts (Slack-format JSON to `/slack`, webhook JSON to other paths).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startServerProcess } from './server-process';

/** A running Alertmanager. */
export interface RunningAlertmanager {
  url: string;
  /** `host:port`, for Prometheus' alerting config. */
  address: string;
  output(): string;
  stop(): Promise<void>;
}

/** Writes `config` and starts Alertmanager on a free loopback port, clustering off. */
export async function startAlertmanager(config: object): Promise<RunningAlertmanager> {
  const server = await startServerProcess({
    binary: 'prometheus-alertmanager',
    configName: 'alertmanager.yml',
    config,
    // An empty cluster address keeps it from opening its gossip port on every interface.
    argsFor: (configFile, dir, port) => [
      `--config.file=${configFile}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Links in messages (silences) use the external URL; the default would name the host.
      `--web.external-url=http://127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
  });
  return { url: server.url, address: `127.0.0.1:${server.port}`, output: server.output, stop: server.stop };
}

/** One POST the receiver got. */
export interface ReceivedPost {
  path: string;
  body: any;
}

/** A local receiver standing in for Slack and the heartbeat service. */
export interface WebhookReceiver {
  url: string;
  posts: ReceivedPost[];
  stop(): Promise<void>;
}

/** Starts an HTTP server on a free loopback port that answers 200 `ok` (as Slack does) and records JSON bodies. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const posts: ReceivedPost[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      try {
        posts.push({ path: req.url ?? '/', body: JSON.parse(raw) });
      } catch {
        posts.push({ path: req.url ?? '/', body: raw });
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
