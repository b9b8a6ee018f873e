/**
 * Stateless admin sessions for the login form. The cookie holds an expiry and an HMAC of it keyed by
 * the admin token, never the token itself: a leaked cookie stops working at its expiry or when the
 * token is rotated, and any API replica with the same token can verify it without shared state.
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { secretsEqual } from '../../shared/secrets';

/** The session cookie's name. */
export const SESSION_COOKIE = 'render_admin_session';
/** How long a login lasts. */
export const SESSION_TTL_MS = 12 * 3_600_000;

function sign(token: string, expiresAt: number): string {
  return createHmac('sha256', token).update(`render-o11y admin session\n${expiresAt}`).digest('base64url');
}

/** A cookie value valid until `now + SESSION_TTL_MS`. */
export function issueSession(token: string, now = Date.now()): string {
  const expiresAt = now + SESSION_TTL_MS;
  return `${expiresAt}.${sign(token, expiresAt)}`;
}

/** True when `value` was issued with `token` and has not expired. */
export function verifySession(value: string | undefined, token: string, now = Date.now()): boolean {
  const match = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
  if (!match) return false;
  const expiresAt = Number(match[1]);
  if (expiresAt <= now || expiresAt > now + SESSION_TTL_MS) return false;
  return secretsEqual(match[2], sign(token, expiresAt));
}

/** One cookie's value from the request's Cookie header, or undefined. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The Set-Cookie header for a session (or its removal when `value` is null). HttpOnly keeps it from
 * scripts; SameSite=Strict keeps other sites from riding it (our CSRF defence, with the Origin check
 * on POSTs); Path=/admin keeps it off the JSON API; Secure when the request came over HTTPS.
 */
export function sessionCookie(value: string | null, secure: boolean): string {
  const attrs = ['Path=/admin', 'HttpOnly', 'SameSite=Strict'];
  if (secure) attrs.push('Secure');
  if (value === null) return [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attrs].join('; ');
  return [`${SESSION_COOKIE}=${value}`, `Max-Age=${SESSION_TTL_MS / 1000}`, ...attrs].join('; ');
}
