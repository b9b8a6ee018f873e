import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import { isProbePath } from '../../telemetry-bridge/probe-paths';
import type { Logger } from '../../services/telemetry/logger';

/**
 * The API's request log expressed with pino-http: the reference the hand-written middleware
 * (services/api/request-log.ts) is measured against (bench/request-log.ts) and checked against
 * (services/api/request-log.test.ts). Same levels, same fields, in pino-http's shape
 * (`req.method`, `req.path`, `res.status`, `responseTime`).
 */
export function pinoHttpRequestLog(logger: Logger): RequestHandler {
  const pathOf = (url: string | undefined) => (url ?? '/').split('?')[0];
  return pinoHttp({
    logger,
    wrapSerializers: false,
    serializers: {
      // Sub-routers rewrite req.url; originalUrl is the path the client asked for.
      req: (req: { method: string; originalUrl?: string; url?: string }) => ({
        method: req.method,
        path: pathOf(req.originalUrl ?? req.url),
      }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    customLogLevel: (req, res, err) => {
      if (isProbePath(pathOf((req as { originalUrl?: string }).originalUrl ?? req.url))) return 'debug';
      return err || res.statusCode >= 500 ? 'error' : 'info';
    },
    customSuccessMessage: () => 'request',
    customErrorMessage: () => 'request',
    customProps: (_req, res) => {
      const locals = (res as { locals?: { jobId?: string; errorCode?: string } }).locals ?? {};
      return { ...(locals.jobId ? { job_id: locals.jobId } : {}), ...(locals.errorCode ? { code: locals.errorCode } : {}) };
    },
  });
}
