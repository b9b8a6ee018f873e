import { trace } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { recordHttpServerRequest } from '../telemetry/metrics';

/** The route template Express matched (`/api/jobs/:id`), or undefined when none did (404s, probes outside routers). */
export function routeTemplate(req: { baseUrl?: string; route?: { path?: unknown } }): string | undefined {
  const path = req.route?.path;
  if (typeof path !== 'string') return undefined;
  const base = req.baseUrl ?? '';
  // A router mounted at /api/jobs answering its '/' is the route /api/jobs, as the span names it.
  return base && path === '/' ? base : `${base}${path}`;
}

/**
 * Records `http.server.request.duration` for every request, traced or not, once the response is
 * done or the client went away. The request's span (if any) is taken now, while it is active, and
 * becomes the exemplar. Cheap: one histogram record per request.
 */
export function requestMetrics(): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const spanContext = trace.getActiveSpan()?.spanContext();
    res.once('close', () => {
      try {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        recordHttpServerRequest(req.method, routeTemplate(req), res.statusCode, seconds, spanContext);
      } catch {
        // Telemetry never breaks the app.
      }
    });
    next();
  };
}
