/**
 * Runs Debian's real Alertmanager for end-to-end tests, and a local HTTP receiver that records what
 * Alertmanager posts (Slack-format JSON to `/slack`, webhook JSON to other paths).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { freePort, waitFor } from './ports';

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
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-am-'));
  const configFile = path.join(dir, 'alertmanager.yml');
  writeFileSync(configFile, YAML.stringify(config));
  const port = await freePort();
  // An empty cluster address keeps it from opening its gossip port on every interface.
  const child = spawn(
    'prometheus-alertmanager',
    [`--config.file=${configFile}`, `--storage.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('alertmanager ready', async () => {
      if (exited) throw new Error(`alertmanager exited:\n${out}`);
      return (await fetch(`${url}/-/ready`)).ok;
    }, 20_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, address: `127.0.0.1:${port}`, output: () => out, stop };
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
