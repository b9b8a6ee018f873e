/** Response hardening for the admin pages: strict CSP and no caching, plus the same-origin check for form POSTs. */
import type { Request, RequestHandler } from 'express';

/** No script at all; styles and images only from us; forms only post back to us; never framed. */
export const ADMIN_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Sets the security headers on every admin response. */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'content-security-policy': ADMIN_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
  });
  next();
};

/**
 * True unless the browser says the POST came from another site. Sec-Fetch-Site decides when present;
 * otherwise a real Origin must match our Host. Our `Referrer-Policy: no-referrer` makes browsers send
 * `Origin: null` on our own form posts, so "null" proves nothing either way and the SameSite=Strict
 * cookie remains the defence. Non-browser clients send neither header and are not a CSRF vector.
 */
export function isSameOriginPost(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site) return site === 'same-origin' || site === 'none';
  const origin = req.get('origin');
  if (!origin || origin === 'null') return true;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}
