/**
 * An OTLP/HTTP (JSON) sink for the benches that also counts the spans it received, so a traced
 * run that silently dropped spans (cheaper than exporting them) shows up in the printed numbers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running counting sink. */
export interface CountingSink {
  url: string;
  /** Spans received so far (every `"spanId"` key in the JSON bodies). */
  spans(): number;
  posts(): number;
  close(): Promise<void>;
}

/** Starts the sink on a free loopback port. */
export async function startCountingSink(): Promise<CountingSink> {
  let spans = 0;
  let posts = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      posts++;
      // A substring count instead of JSON.parse: the sink shares the machine with the measured process.
      spans += body.split('"spanId"').length - 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => spans,
    posts: () => posts,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
