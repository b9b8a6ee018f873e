/** A minimal OTLP/HTTP receiver for benches and tests: answers 200 to every POST and counts what arrived. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running sink; `bodies` holds parsed JSON payloads when `keep` is set. */
export interface OtlpSink {
  url: string;
  requests(): number;
  bodies: unknown[];
  close(): Promise<void>;
}

/** Starts the sink on a free loopback port; `keep` stores each JSON body (tests), otherwise bodies are discarded. */
export async function startOtlpSink(keep = false): Promise<OtlpSink> {
  let requests = 0;
  const bodies: unknown[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => keep && chunks.push(c));
    req.on('end', () => {
      requests++;
      if (keep) {
        try {
          bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          // protobuf or garbage: counted, not kept
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    bodies,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
