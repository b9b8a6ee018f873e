/**
 * The metrics scrape handler, as a plain node:http handler so the API (Express, `/api/metrics`) and
 * each separate worker process (bare http server, `/metrics`) serve exactly the same thing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { metricsCollector } from '../../telemetry-bridge/metrics-collector';
import { errorOf, UnauthorizedError } from '../shared/errors';
import { hasBearer } from '../shared/secrets';

/** Content type of the Prometheus text format, the default for curl, browsers and promtool. */
export const PROMETHEUS_TEXT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Content type of OpenMetrics text, served when the scraper prefers it (Prometheus does). */
export const OPENMETRICS_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

interface MediaRange {
  type: string;
  subtype: string;
  version?: string;
  q: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [media, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const [type, subtype] = media.split('/');
    if (!type || !subtype) continue;
    const range: MediaRange = { type, subtype, q: 1 };
    for (const param of params) {
      const [key, value = ''] = param.split('=').map((p) => p.trim().replace(/^"|"$/g, ''));
      if (key === 'q') {
        const q = Number(value);
        range.q = Number.isFinite(q) && value !== '' ? Math.min(1, Math.max(0, q)) : 0;
      } else if (key === 'version') range.version = value;
    }
    ranges.push(range);
  }
  return ranges;
}

/**
 * The q-value `accept` gives a media type: that of the most specific matching range (RFC 9110 §12.5.1),
 * the highest among equally specific ones; a `version` we cannot produce does not match.
 */
function qualityOf(ranges: MediaRange[], type: string, subtype: string, versions: readonly string[]): number {
  let best = -1;
  let q = 0;
  for (const r of ranges) {
    let specificity: number;
    if (r.type === '*' && r.subtype === '*') specificity = 1;
    else if (r.type === type && r.subtype === '*') specificity = 2;
    else if (r.type === type && r.subtype === subtype) {
      if (r.version !== undefined && !versions.includes(r.version)) continue;
      specificity = r.version !== undefined ? 4 : 3;
    } else continue;
    if (specificity > best) (best = specificity), (q = r.q);
    else if (specificity === best) q = Math.max(q, r.q);
  }
  return q;
}

/** True when `accept` strictly prefers OpenMetrics to the 0.0.4 text; ties and no header keep the text format. */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = parseAccept(accept);
  // We write 1.0.0; 0.0.1 scrapers parse it the same way (Prometheus offers both).
  const om = qualityOf(ranges, 'application', 'openmetrics-text', ['1.0.0', '0.0.1']);
  const text = qualityOf(ranges, 'text', 'plain', ['0.0.4']);
  return om > 0 && om > text;
}

/**
 * Serves the exposition, as OpenMetrics (with exemplars) when the `Accept` header prefers it;
 * `?format=json` gives the same values as JSON; a token, when set, is required.
 */
export function metricsRequestHandler(options: { token?: string }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (options.token && !hasBearer(req, options.token)) {
      const err = new UnauthorizedError(undefined, 'metrics');
      res.writeHead(err.httpStatus, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="metrics"' });
      res.end(JSON.stringify(err.toResponseBody()));
      return;
    }
    const collector = metricsCollector();
    const formats = new URL(req.url ?? '/', 'http://localhost').searchParams.getAll('format');
    // `format` is `json` or absent: anything else is a mistake worth saying, not a silent text answer.
    if (formats.length > 1 || (formats.length === 1 && formats[0] !== 'json')) {
      const bad = errorOf('INVALID_QUERY', 'format: must be json (or absent for the Prometheus text)');
      res.writeHead(bad.httpStatus, { 'content-type': 'application/json' });
      res.end(JSON.stringify(bad.toResponseBody()));
      return;
    }
    const wantsJson = formats[0] === 'json';
    try {
      if (wantsJson) {
        const body = collector ? await collector.json() : { disabled: true, metrics: [] };
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      } else if (collector && prefersOpenMetrics(req.headers.accept)) {
        const body = await collector.openMetrics();
        res.writeHead(200, { 'content-type': OPENMETRICS_TYPE, 'cache-control': 'no-store', vary: 'accept' });
        res.end(body);
      } else {
        const body = collector ? await collector.prometheus() : '# telemetry disabled (OTEL_SDK_DISABLED=true)\n';
        res.writeHead(200, { 'content-type': PROMETHEUS_TEXT_TYPE, 'cache-control': 'no-store', vary: 'accept' });
        res.end(body);
      }
    } catch (err) {
      const failed = errorOf('METRICS_COLLECTION_FAILED', err instanceof Error ? err.message : String(err));
      res.writeHead(failed.httpStatus, { 'content-type': 'application/json' });
      res.end(JSON.stringify(failed.toResponseBody()));
    }
  };
}
