import type { RequestHandler } from 'express';
import { hasBearer } from '../telemetry/metrics-http';
import { UnauthorizedError } from '../shared/errors';

/**
 * Requires `Authorization: Bearer <token>` when a token is configured; without one the route is
 * open (local development), which is why the token is optional in the config.
 */
export function requireBearer(token: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (!token || hasBearer(req, token)) return next();
    const err = new UnauthorizedError();
    res.status(err.httpStatus).set('www-authenticate', 'Bearer realm="admin"').json(err.toResponseBody());
  };
}
