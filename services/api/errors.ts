import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../telemetry/logger';
import { BadRequestError, InternalError, RenderError, UnauthorizedError } from '../shared/errors';
import { LIMITS } from '../shared/request';

/** body-parser's error types → our stable client error codes. */
const BODY_ERRORS: Record<string, () => RenderError> = {
  'entity.parse.failed': () => new BadRequestError('INVALID_JSON'),
  'entity.too.large': () => new BadRequestError('PAYLOAD_TOO_LARGE', LIMITS.maxBodyBytes),
  'charset.unsupported': () => new BadRequestError('UNSUPPORTED_MEDIA_TYPE', 'the body charset must be utf-8'),
  'encoding.unsupported': () => new BadRequestError('UNSUPPORTED_MEDIA_TYPE', 'the body content-encoding is not supported'),
  'request.aborted': () => new BadRequestError('REQUEST_ABORTED'),
};

/** Any unmatched route: 404 NOT_FOUND. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new BadRequestError('NOT_FOUND', req.method, req.path));
};

/**
 * The one error handler: RenderErrors keep their status and code; anything else is a logged 500. A
 * 401 names its realm in `WWW-Authenticate`; a router that shows HTML (the admin page) sets
 * `res.locals.errorPage` and gets the same error as a page instead of JSON.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const type = typeof err?.type === 'string' ? err.type : '';
    let error: RenderError;
    if (err instanceof RenderError) error = err;
    else if (BODY_ERRORS[type]) error = BODY_ERRORS[type]();
    else if (err instanceof URIError) {
      // The router could not percent-decode a path parameter.
      error = new BadRequestError('INVALID_PATH');
    } else if (isClientHttpError(err)) {
      // Any other 4xx from body parsing (a truncated gzip body, a bad encoding): the body could not be read.
      error = new BadRequestError('INVALID_BODY');
    } else {
      error = new InternalError();
      logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
    }
    if (error.httpStatus >= 500 && err instanceof RenderError) {
      logger.warn({ err, code: error.code, method: req.method, path: req.path }, 'request failed');
    }
    res.locals.errorCode = error.code;
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') res.set('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
    if (error instanceof UnauthorizedError) res.set('www-authenticate', `Bearer realm="${error.realm}"`);
    const page = res.locals.errorPage as ((e: RenderError) => string) | undefined;
    if (page) return void res.status(error.httpStatus).type('html').send(page(error));
    res.status(error.httpStatus).json(error.toResponseBody());
  };
}

/** An http-errors style client error (body-parser's): `expose` set and a 4xx status. */
function isClientHttpError(err: unknown): boolean {
  const e = err as { expose?: unknown; status?: unknown };
  return e?.expose === true && typeof e.status === 'number' && e.status >= 400 && e.status < 500;
}
