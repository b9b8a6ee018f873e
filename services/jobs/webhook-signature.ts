/**
 * The webhook signature, in the form the best-known webhook senders use:
 * `X-Render-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The timestamp is
 * part of what is signed, so a receiver that rejects old timestamps (README: 5 minutes) rejects
 * replays too. `verifySignature` is what a receiver does (the README shows the same steps).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How old a signature's timestamp may be before receivers should reject it. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** The header value for `body`, signed at `unixSeconds` (now by default: each delivery attempt signs afresh). */
export function signatureHeader(body: string, secret: string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/** True when `header` signs exactly `body` with `secret` and its timestamp is within the tolerance of `nowSeconds`. */
export function verifySignature(
  header: string | undefined,
  body: string,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
