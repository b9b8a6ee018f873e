/**
 * The metrics scrape handler, as a plain node:http handler so the API (Express, `/api/metrics`) and
 * each separate worker process (bare http server, `/metrics`) serve exactly the same thing.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { metricsCollector } from './metrics-endpoint';

/** Compares secrets in constant time (hashing first so lengths do not leak either). */
export function secretsEqual(provided: string, expected: string): boolean {
  const a = createHash('sha256').update(provided).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** True when the request carries `Authorization: Bearer <token>`. */
export function hasBearer(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match !== null && secretsEqual(match[1].trim(), token);
}

/** Serves the exposition; `?format=json` gives the same values as JSON; a token, when set, is required. */
export function metricsRequestHandler(options: { token?: string }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (options.token && !hasBearer(req, options.token)) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="metrics"' });
      res.end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'a valid bearer token is required' } }));
      return;
    }
    const collector = metricsCollector();
    const wantsJson = new URL(req.url ?? '/', 'http://localhost').searchParams.get('format') === 'json';
    try {
      if (wantsJson) {
        const body = collector ? await collector.json() : { disabled: true, metrics: [] };
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      } else {
        const body = collector ? await collector.prometheus() : '# telemetry disabled (OTEL_SDK_DISABLED=true)\n';
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
        res.end(body);
      }
    } catch (err) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'METRICS_COLLECTION_FAILED', message: err instanceof Error ? err.message : String(err) } }));
    }
  };
}
