/**
 * The paths of probes and scrapes (`/healthz`, `/readyz`, the metrics endpoints), in one place for
 * both sides: the SDK side gives them no server span, and the API logs them at debug. They are
 * frequent and uninteresting, and would drown the real traffic in traces and logs alike.
 */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/api/metrics', '/metrics']);

/** True when `url` (a request target, query string allowed) is one of PROBE_PATHS. */
export function isProbePath(url: string): boolean {
  const q = url.indexOf('?');
  return PROBE_PATHS.has(q === -1 ? url : url.slice(0, q));
}
