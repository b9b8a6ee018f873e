/** A minimal OTLP/HTTP (JSON) receiver for tests and benches: answers 200 to every POST and counts what arrived. */
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

/** One span as the OTLP/JSON exporter sends it (the fields tests read). */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP numbering: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
  service: string;
}

/** Flattens received OTLP/JSON payloads into spans tagged with their resource's service.name. */
export function receivedSpans(sink: OtlpSink): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  for (const body of sink.bodies as { resourceSpans?: any[] }[]) {
    for (const rs of body.resourceSpans ?? []) {
      const service = rs.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value?.stringValue ?? '';
      for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, service });
    }
  }
  return spans;
}

/** A string or int attribute of a received span. */
export function spanAttribute(span: OtlpSpan, key: string): string | number | undefined {
  const v = span.attributes.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  return (v.stringValue as string | undefined) ?? (v.intValue !== undefined ? Number(v.intValue) : undefined);
}
