/**
 * An OTLP/HTTP sink (http/json or http/protobuf) for the benches that also counts the spans it
 * received, so a traced run that silently dropped spans (cheaper than exporting them) shows up in
 * the printed numbers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { countTraceRequestSpans } from './otlp-span-count';

/** A running counting sink. */
export interface CountingSink {
  url: string;
  /** Spans received so far (every `"spanId"` key in JSON bodies, every span message in protobuf ones). */
  spans(): number;
  posts(): number;
  close(): Promise<void>;
}

/** Starts the sink on a free loopback port. */
export async function startCountingSink(): Promise<CountingSink> {
  let spans = 0;
  let posts = 0;
  const key = Buffer.from('"spanId"');
  const server = http.createServer((req, res) => {
    if (req.headers['content-type']?.startsWith('application/x-protobuf')) {
      // Protobuf needs the whole message to walk its nesting; it only reads field headers.
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        posts++;
        spans += countTraceRequestSpans(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
        res.end();
      });
      return;
    }
    // JSON is counted chunk by chunk on Buffers (no string building or JSON.parse): the sink shares the
    // machine with the measured process. `tail` carries a key split across two chunks.
    let tail: Buffer = Buffer.alloc(0);
    req.on('data', (chunk: Buffer) => {
      const buf = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      let at = buf.indexOf(key);
      let last = -1;
      while (at !== -1) {
        spans++;
        last = at;
        at = buf.indexOf(key, at + key.length);
      }
      const keep = Math.max(last === -1 ? 0 : last + key.length, buf.length - key.length + 1);
      tail = buf.subarray(keep);
    });
    req.on('end', () => {
      posts++;
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
