import type { RequestHandler } from 'express';
import type { Logger } from '../telemetry/logger';

/** Scrapes and probes are frequent and uninteresting: logged at debug so they do not drown real traffic. */
const QUIET_PATHS = new Set(['/healthz', '/api/metrics']);

/** One log line per request once the response is sent: method, path (no query string), status, time. */
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
      if (QUIET_PATHS.has(path)) logger.debug(line, 'request');
      else logger.info(line, 'request');
    });
    next();
  };
}
