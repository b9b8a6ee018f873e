/**
 * Webhook delivery: POSTs job events to the request's webhookUrl through the outbound client (so a
 * webhook can never reach loopback, private or link-local addresses unless RENDER_ALLOW_PRIVATE_URLS
 * says so), signed when a secret is configured. Delivery runs in the background with a few retries;
 * it never fails or delays the job, and every attempt is a CLIENT span and a
 * `render_webhook_deliveries_total` count. URLs appear in logs and spans as scheme, host and port only.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { backoffDelayMs, retryAfterMs } from '../shared/backoff';
import { UrlNotAllowedError } from '../shared/errors/url-not-allowed-error';
import { toPublicJob, type JobEvent, type JobRecord } from '../shared/job';
import { redactUrl } from '../shared/url-policy';
import { ATTR } from '../telemetry/attributes';
import type { Logger } from '../telemetry/logger';
import { recordWebhook } from '../telemetry/metrics';
import { serverAttributes, withSpan } from '../telemetry/tracing';
import { discardBody, OutboundClient } from '../shared/outbound-client';
import { signatureHeader } from './webhook-signature';

/** Events a job's webhook receives (the status machine's, services/shared/job.ts). */
export type WebhookEvent = JobEvent;

/** Delivery settings; defaults suit production, tests shorten them. */
export interface WebhookOptions {
  secret?: string;
  attempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
  /** The outbox's stable id of this event, sent as `X-Render-Event-Id` on every try so receivers can deduplicate. */
  eventId?: string;
  logger: Logger;
  /** The outbound client (the worker passes the config's); without one, private addresses are refused. */
  outbound?: OutboundClient;
}

let defaultClient: OutboundClient | undefined;
function defaultOutbound(): OutboundClient {
  defaultClient ??= new OutboundClient({ allowPrivate: false, connectTimeoutMs: 10_000 });
  return defaultClient;
}

/** How a delivery ended: delivered; worth trying again later; or never deliverable (retrying cannot help). */
export type WebhookResult = 'delivered' | 'retry-later' | 'permanent';

/** The longest a receiver's Retry-After may hold a delivery inside one round; longer waits go to the next round. */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Starts delivering `event` for `job` in the background; returns the delivery promise (which never
 * rejects). Tries a few times with exponential backoff, waiting what the receiver's Retry-After
 * asks when it says; a refused URL or a 4xx other than 408/429 ends the delivery at once.
 */
export function sendWebhook(job: JobRecord, event: WebhookEvent, options: WebhookOptions): Promise<WebhookResult> {
  const url = job.request.webhookUrl;
  if (!url) return Promise.resolve('permanent');
  const body = JSON.stringify({ event, job: toPublicJob(job) });
  const attempts = options.attempts ?? 4;
  const baseDelay = options.baseDelayMs ?? 1000;
  const deliver = async (): Promise<WebhookResult> => {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const { outcome, retryAfterMs: asked } = await deliverWebhook(url, body, event, attempt, options);
      if (outcome === 'delivered') return 'delivered';
      if (outcome === 'refused' || outcome === 'rejected') {
        options.logger.warn({ event, url: redactUrl(url), outcome }, 'webhook not deliverable; not retried');
        return 'permanent';
      }
      if (attempt < attempts) {
        if (asked !== undefined && asked > MAX_RETRY_AFTER_MS) break;
        await new Promise((r) => setTimeout(r, asked ?? backoffDelayMs(baseDelay, attempt)));
      }
    }
    options.logger.warn({ event, url: redactUrl(url) }, 'webhook delivery gave up for now');
    return 'retry-later';
  };
  return deliver().catch(() => 'retry-later');
}

/** One delivery attempt's outcome, and the receiver's Retry-After when it gave one. */
export interface DeliveryAttempt {
  /** delivered: 2xx; failed: another attempt may help (5xx, 408, 429, network); rejected: any other 4xx; refused: the URL's address is not allowed. */
  outcome: 'delivered' | 'failed' | 'rejected' | 'refused';
  retryAfterMs?: number;
}

/** One delivery attempt of `body` to `url`, signed now (a re-sent delivery carries a fresh `t`). Never throws. */
export async function deliverWebhook(
  url: string,
  body: string,
  event: WebhookEvent,
  attempt: number,
  options: WebhookOptions,
): Promise<DeliveryAttempt> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'render-o11y-webhook' };
  if (options.secret) headers['x-render-signature'] = signatureHeader(body, options.secret);
  if (options.eventId) headers['x-render-event-id'] = options.eventId;
  const attributes = {
    [ATTR.RENDER_WEBHOOK_EVENT]: event,
    [ATTR.RENDER_WEBHOOK_ATTEMPT]: attempt,
    'http.request.method': 'POST',
    'url.full': redactUrl(url),
    ...serverAttributes(url),
  };
  const client = options.outbound ?? defaultOutbound();
  try {
    return await withSpan(
      `POST webhook`,
      attributes,
      async (span) => {
        const res = await client.send(url, {
          method: 'POST',
          headers,
          body,
          maxRedirects: 0,
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
        // Only the status matters; a receiver's body is never read, however large it is.
        discardBody(res.body);
        span.setAttribute('http.response.status_code', res.status);
        const ok = res.status >= 200 && res.status < 300;
        recordWebhook(event, ok ? 'delivered' : 'failed');
        if (!ok) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${res.status}` });
          options.logger.info({ event, attempt, status: res.status }, 'webhook answered with an error status');
        }
        if (ok) return { outcome: 'delivered' };
        // A receiver that rejects the request (bad URL path, auth) will reject it again; 408 and 429 ask for later.
        const rejected = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
        return { outcome: rejected ? 'rejected' : 'failed', retryAfterMs: retryAfterMs(res.headers['retry-after']) };
      },
      SpanKind.CLIENT,
    );
  } catch (err) {
    recordWebhook(event, 'failed');
    if (err instanceof UrlNotAllowedError) {
      options.logger.warn({ event, url: redactUrl(url) }, 'webhook URL refused: it points to a loopback, private or reserved address');
      return { outcome: 'refused' };
    }
    const code = (err as { code?: unknown })?.code;
    options.logger.info({ event, attempt, code: typeof code === 'string' ? code : undefined }, 'webhook delivery failed');
    return { outcome: 'failed' };
  }
}
