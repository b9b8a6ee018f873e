/** A webhook receiver on loopback that records every delivery and checks its signature with the test's secret. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../services/jobs/webhook-signature';

/** One webhook request as the receiver saw it. */
export interface SeenWebhook {
  event: string;
  jobId: string;
  status: string;
  eventId: string;
  /** The `X-Render-Signature` matches the body under the secret. */
  signed: boolean;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/hook`: the URL a deck's `webhookUrl` names. */
  url: string;
  port: number;
  seen: SeenWebhook[];
  close(): Promise<void>;
}

export interface WebhookReceiverOptions {
  /** Requests whose path starts with this are never answered (an asset that never arrives). */
  hangPrefix?: string;
  /** The server's keep-alive timeout (Node's default when unset). */
  keepAliveTimeoutMs?: number;
}

export async function startWebhookReceiver(secret: string, options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
  const seen: SeenWebhook[] = [];
  const server = http.createServer((req, res) => {
    if (options.hangPrefix && req.url?.startsWith(options.hangPrefix)) return;
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { event: string; job: { id: string; status: string } };
      seen.push({
        event: parsed.event,
        jobId: parsed.job.id,
        status: parsed.job.status,
        eventId: String(req.headers['x-render-event-id']),
        signed: verifySignature(String(req.headers['x-render-signature']), body, secret),
      });
      res.writeHead(200).end();
    });
  });
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
