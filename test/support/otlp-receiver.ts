/**
 * A minimal OTLP/HTTP receiver for tests: answers 200 to every POST and counts what arrived.
 * http/json bodies are decoded (tests that read span content export http/json); http/protobuf
 * bodies are kept raw and not decoded: no maintained package ships the OTLP .proto definitions
 * for protobufjs (the proto repository publishes none to npm, open-telemetry/opentelemetry-proto
 * issue 670, and otlp-transformer 0.300 encodes by hand and decodes nothing), and a hand-written
 * decoder would test itself more than the exporter, so protobuf tests check the content type and
 * what is plainly visible in the bytes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one POST looked like on the wire. */
export interface OtlpRequest {
  path: string;
  contentType: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A running sink; `bodies` holds decoded http/json payloads and `received` every raw request when `keep` is set. */
export interface OtlpSink {
  url: string;
  requests(): number;
  bodies: unknown[];
  received: OtlpRequest[];
  close(): Promise<void>;
}

/** Starts the sink on a free loopback port; `keep` stores each request and its decoded body (tests), otherwise bodies are discarded. */
export async function startOtlpSink(keep = false): Promise<OtlpSink> {
  let requests = 0;
  const bodies: unknown[] = [];
  const received: OtlpRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => keep && chunks.push(c));
    req.on('end', () => {
      requests++;
      if (keep) {
        const body = Buffer.concat(chunks);
        const contentType = req.headers['content-type'] ?? '';
        received.push({ path: req.url ?? '', contentType, headers: req.headers, body });
        if (contentType.startsWith('application/json')) {
          try {
            bodies.push(JSON.parse(body.toString('utf8')));
          } catch {
            // garbage: counted and kept raw, not decoded
          }
        }
      }
      // An empty ExportTraceServiceResponse in the request's encoding, as a collector answers.
      const protobuf = (req.headers['content-type'] ?? '').startsWith('application/x-protobuf');
      res.writeHead(200, { 'content-type': protobuf ? 'application/x-protobuf' : 'application/json' });
      res.end(protobuf ? '' : '{}');
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    bodies,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** One span in the OTLP/JSON shape (the fields tests read). */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP numbering: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
  events?: { name: string; attributes?: { key: string; value: Record<string, unknown> }[] }[];
  status?: { code?: number | string };
  service: string;
}

/** Flattens received http/json payloads into spans tagged with their resource's service.name. */
export function receivedSpans(sink: OtlpSink): OtlpSpan[] {
  return spansOf(sink.bodies);
}

/** Flattens OTLP/JSON trace payloads into spans tagged with their resource's service.name. */
export function spansOf(bodies: unknown[]): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  for (const body of bodies as { resourceSpans?: any[] }[]) {
    for (const rs of body.resourceSpans ?? []) {
      const service = rs.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value?.stringValue ?? '';
      for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, service });
    }
  }
  return spans;
}

/** A string or int attribute of a received span. */
export function spanAttribute(span: OtlpSpan, key: string): string | number | undefined {
  const v = (span.attributes ?? []).find((a) => a.key === key)?.value;
  if (!v) return undefined;
  return (v.stringValue as string | undefined) ?? (v.intValue !== undefined ? Number(v.intValue) : undefined);
}
