/**
 * Who is calling `/api/jobs*`. With API keys configured every request needs
 * `Authorization: Bearer <token>` (401 UNAUTHORIZED otherwise) and is that key's client; without
 * keys the API is open (loopback by default, see protected-mode.ts) and every caller is `anonymous`.
 */
import type { RequestHandler, Response } from 'express';
import { ANONYMOUS_CLIENT } from '../shared/job';
import { UnauthorizedError } from '../shared/errors';
import type { ApiKeys } from './api-keys';

/** Sets `res.locals.client`, or answers 401. */
export function authenticateClient(keys: ApiKeys | null): RequestHandler {
  return (req, res, next) => {
    if (!keys) {
      res.locals.client = ANONYMOUS_CLIENT;
      return next();
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const client = match ? keys.clientOf(match[1]) : null;
    if (!client) {
      const err = new UnauthorizedError('a valid API key is required: Authorization: Bearer <token>');
      res.locals.errorCode = err.code;
      res.status(err.httpStatus).set('www-authenticate', 'Bearer realm="render"').json(err.toResponseBody());
      return;
    }
    res.locals.client = client;
    next();
  };
}

/** The authenticated client of a request (set by authenticateClient). */
export function clientOf(res: Response): string {
  return (res.locals.client as string | undefined) ?? ANONYMOUS_CLIENT;
}
