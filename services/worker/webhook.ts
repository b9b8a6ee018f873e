/**
 * Webhook delivery: POSTs job events to the request's webhookUrl, signed with HMAC-SHA256 when a
 * secret is configured. Delivery runs in the background with a few retries; it never fails or
 * delays the job, and every attempt is a CLIENT span and a `render_webhook_deliveries_total` count.
 */
import { createHmac } from 'node:crypto';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { toPublicJob, type JobRecord } from '../shared/job';
import { ATTR } from '../telemetry/attributes';
import type { Logger } from '../telemetry/logger';
import { recordWebhook } from '../telemetry/metrics';
import { safeUrl, serverAttributes, withSpan } from '../telemetry/tracing';

/** Events a job's webhook receives. */
export type WebhookEvent = 'render.started' | 'render.completed' | 'render.failed';

/** Delivery settings; defaults suit production, tests shorten them. */
export interface WebhookOptions {
  secret?: string;
  attempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
  /** The outbox's stable id of this event, sent as `X-Render-Event-Id` on every try so receivers can deduplicate. */
  eventId?: string;
  logger: Logger;
}

/** The signature header value for `body`: `sha256=<hex HMAC>`. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Starts delivering `event` for `job` in the background; returns the delivery promise (which never rejects). */
export function sendWebhook(job: JobRecord, event: WebhookEvent, options: WebhookOptions): Promise<boolean> {
  const url = job.request.webhookUrl;
  if (!url) return Promise.resolve(false);
  const body = JSON.stringify({ event, job: toPublicJob(job) });
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'render-o11y-webhook' };
  if (options.secret) headers['x-render-signature'] = signBody(body, options.secret);
  if (options.eventId) headers['x-render-event-id'] = options.eventId;
  const attempts = options.attempts ?? 4;
  const baseDelay = options.baseDelayMs ?? 1000;
  const deliver = async (): Promise<boolean> => {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (await deliverOnce(url, body, headers, event, attempt, options)) return true;
      if (attempt < attempts) await new Promise((r) => setTimeout(r, baseDelay * 2 ** (attempt - 1)));
    }
    options.logger.warn({ event, url: safeUrl(url) }, 'webhook delivery gave up');
    return false;
  };
  return deliver().catch(() => false);
}

async function deliverOnce(
  url: string,
  body: string,
  headers: Record<string, string>,
  event: WebhookEvent,
  attempt: number,
  options: WebhookOptions,
): Promise<boolean> {
  const attributes = {
    [ATTR.RENDER_WEBHOOK_EVENT]: event,
    [ATTR.RENDER_WEBHOOK_ATTEMPT]: attempt,
    'http.request.method': 'POST',
    'url.full': safeUrl(url),
    ...serverAttributes(url),
  };
  try {
    return await withSpan(
      `POST webhook`,
      attributes,
      async (span) => {
        const res = await fetch(url, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
        await res.body?.cancel().catch(() => undefined);
        span.setAttribute('http.response.status_code', res.status);
        const ok = res.status >= 200 && res.status < 300;
        recordWebhook(event, ok ? 'delivered' : 'failed');
        if (!ok) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${res.status}` });
          options.logger.info({ event, attempt, status: res.status }, 'webhook answered with an error status');
        }
        return ok;
      },
      SpanKind.CLIENT,
    );
  } catch (err) {
    recordWebhook(event, 'failed');
    options.logger.info({ event, attempt, err: err instanceof Error ? err.message : String(err) }, 'webhook delivery failed');
    return false;
  }
}
