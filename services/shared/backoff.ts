/** Retry timing, in one place for job attempts, webhook deliveries and the webhook outbox. */

/** Exponential backoff after failed try n (1-based): base, 2×base, 4×base…, capped at `maxMs`. */
export function backoffDelayMs(baseMs: number, attempt: number, maxMs = Number.POSITIVE_INFINITY): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * A `Retry-After` header as a delay in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3);
 * undefined when absent or unreadable, 0 for a date in the past.
 */
export function retryAfterMs(header: string | string[] | undefined | null, nowMs = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
