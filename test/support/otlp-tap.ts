/**
 * An OTLP/HTTP tap for the stack test: the services export http/json to it, it keeps every span
 * (decoded, as the SDK sent it) and forwards the request unchanged to the real collector, answering
 * with the collector's own status and body, so the SDK sees exactly what the collector said. What
 * the tap holds is "what the SDK exported"; a trace in Tempo is whole when it has all of it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { spansOf, type OtlpSpan } from './otlp-receiver';

/** A running tap. */
export interface OtlpTap {
  url: string;
  /** Every span the services exported, in arrival order. */
  spans(): OtlpSpan[];
  /** Requests the collector did not answer with 2xx (a refusal the SDK saw). */
  refused(): number;
  close(): Promise<void>;
}

/** Starts the tap on a free loopback port, forwarding to `upstream` (the collector's OTLP/HTTP base URL). */
export async function startOtlpTap(upstream: string): Promise<OtlpTap> {
  const bodies: unknown[] = [];
  let refused = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const contentType = req.headers['content-type'] ?? 'application/json';
      try {
        const answer = await fetch(`${upstream}${req.url ?? '/'}`, { method: 'POST', headers: { 'content-type': contentType }, body });
        const text = Buffer.from(await answer.arrayBuffer());
        // Kept only once the collector took it: a refused request is retried by the SDK.
        if (answer.ok && req.url === '/v1/traces' && contentType.startsWith('application/json'))
          bodies.push(JSON.parse(body.toString('utf8')));
        if (!answer.ok) refused++;
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(text);
      } catch {
        refused++;
        res.writeHead(503, { 'content-type': 'application/json' }).end('{}');
      }
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => spansOf(bodies),
    refused: () => refused,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
