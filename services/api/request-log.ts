import { isProbePath } from '../../telemetry-bridge/probe-paths';
import type { RequestHandler } from 'express';
import type { Logger } from '../telemetry/logger';

/**
 * One log line per request once the response is sent: method, path (no query string, which may
 * hold tokens), status, time, and the job id and error code the route set. Written inside the
 * request's span, so it carries trace_id and span_id.
 *
 * Hand-written rather than pino-http, by measurement: on the same Express app, interleaved,
 * pino-http (even configured lean: no request child logger, a custom success object) served
 * ≈ 0.60 of the requests per second of this middleware (`bench/request-log.ts`), ~50 µs more per
 * request on a 2-core machine — more than the whole telemetry budget of a status poll. pino-http
 * stays as the reference: `request-log.test.ts` holds this logger's lines against its lines for
 * the same requests, and the bench measures the two side by side.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    // Sub-routers rewrite req.url, so the path is taken now, from the original URL.
    const path = req.originalUrl.split('?')[0];
    res.on('finish', () => {
      const line = {
        method: req.method,
        path,
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        ...(res.locals.jobId ? { job_id: res.locals.jobId } : {}),
        ...(res.locals.errorCode ? { code: res.locals.errorCode } : {}),
      };
      // Probes and scrapes (the same paths that get no span) are logged at debug.
      if (isProbePath(path)) logger.debug(line, 'request');
      else if (res.statusCode >= 500) logger.error(line, 'request');
      else logger.info(line, 'request');
    });
    next();
  };
}
