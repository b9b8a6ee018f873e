/**
 * Who may call what, in one place, loaded once when the app is built: the client API keys
 * (`/api/jobs*`), the admin token and its login session (`/api/admin/*`, `/admin/*`), the metrics
 * token (`/api/metrics`) and protected mode (which of them a process must have before it starts).
 * Every refusal is `next(new UnauthorizedError(…, realm))`, so every 401 goes through the app's one
 * error handler (JSON for the API, the login form for the admin page; `WWW-Authenticate` from the realm).
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../../shared/config';
import { UnauthorizedError } from '../../shared/errors';
import { ANONYMOUS_CLIENT } from '../../shared/job';
import { bearerToken, hasBearer, secretsEqual } from '../../shared/secrets';
import type { Logger } from '../../telemetry/logger';
import { type ApiKeys, loadApiKeys } from './api-keys';
import { assertProtectedMode } from './protected-mode';
import { issueSession, readCookie, SESSION_COOKIE, sessionCookie, verifySession } from './session';

/** The slice of the config auth reads. */
export type AuthConfig = Pick<Config, 'host' | 'auth' | 'apiKeys' | 'apiKeysFile' | 'adminToken' | 'metricsToken'>;

/** The loaded auth of one API process. */
export interface Auth {
  /** True when API keys are configured (each caller is its key's client; otherwise every caller is `anonymous`). */
  readonly keysConfigured: boolean;
  /** True when an admin token is configured (the admin page and summary need it). */
  readonly adminProtected: boolean;
  /** `/api/jobs*`: sets the request's client (see `clientOf`), or 401 in realm `render`. */
  client: RequestHandler;
  /** `/api/admin/*` and the admin page: the admin token as a bearer or a login session, or 401 in realm `admin`. */
  admin: RequestHandler;
  /** `/api/metrics`: the metrics token as a bearer when one is set, or 401 in realm `metrics`. */
  metrics: RequestHandler;
  /** True when a login form's token is the admin token. */
  checkAdminLogin(provided: unknown): boolean;
  /** The Set-Cookie value that opens (or, with `null`, closes) an admin session. */
  sessionCookie(open: boolean, secure: boolean): string;
  /** True when the request carries a valid admin session cookie. */
  hasAdminSession(req: Request): boolean;
}

/**
 * Loads the keys (an unreadable keys file stops start-up naming its variable) and enforces protected
 * mode (throws ConfigError naming the missing variable), then returns the middlewares.
 */
export function loadAuth(config: AuthConfig, logger: Logger): Auth {
  const keys: ApiKeys | null = loadApiKeys(config, logger);
  assertProtectedMode(config, keys);
  const adminToken = config.adminToken;
  const metricsToken = config.metricsToken;
  const hasAdminSession = (req: Request) => adminToken !== undefined && verifySession(readCookie(req, SESSION_COOKIE), adminToken);

  return {
    keysConfigured: keys !== null,
    adminProtected: adminToken !== undefined,
    client: (req, res, next) => {
      if (!keys) {
        res.locals.client = ANONYMOUS_CLIENT;
        return next();
      }
      const token = bearerToken(req);
      const client = token ? keys.clientOf(token) : null;
      if (!client) return next(new UnauthorizedError('a valid API key is required: Authorization: Bearer <token>', 'render'));
      res.locals.client = client;
      next();
    },
    admin: (req, _res, next) => {
      if (!adminToken || hasBearer(req, adminToken) || hasAdminSession(req)) return next();
      next(new UnauthorizedError('a valid admin token is required: Authorization: Bearer <ADMIN_TOKEN>, or sign in', 'admin'));
    },
    metrics: (req, _res, next) => {
      if (!metricsToken || hasBearer(req, metricsToken)) return next();
      next(new UnauthorizedError('a valid metrics token is required: Authorization: Bearer <METRICS_TOKEN>', 'metrics'));
    },
    checkAdminLogin: (provided) => adminToken !== undefined && typeof provided === 'string' && secretsEqual(provided.trim(), adminToken),
    sessionCookie: (open, secure) => sessionCookie(open && adminToken ? issueSession(adminToken) : null, secure),
    hasAdminSession,
  };
}

/** The authenticated client of a request (set by `Auth.client`). */
export function clientOf(res: Response): string {
  return (res.locals.client as string | undefined) ?? ANONYMOUS_CLIENT;
}

export { assertApiExposureAllowed, assertProtectedMode, isLoopbackHost } from './protected-mode';
