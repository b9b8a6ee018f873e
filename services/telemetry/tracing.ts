/**
 * Span helpers for a job's lifecycle, on `@opentelemetry/api` only. One trace per job: the
 * `POST /api/jobs` server span → PRODUCER (enqueue) → one CONSUMER per attempt (parent: the
 * enqueue, via the W3C carrier stored with the job) → a span per stage. No user content (slide
 * text, narration, URLs' query strings) goes into attributes.
 */
import {
  context,
  INVALID_TRACEID as INVALID_TRACE_ID,
  propagation,
  trace,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { classifyError } from '../shared/errors/classify';
import { redactUrl } from '../shared/url-policy';
import type { RenderError } from '../shared/errors/render-error';
import { ATTR, EVENTS } from './attributes';

/** Name and version of the tracer every span of ours comes from. */
export const TRACER_NAME = 'render-o11y';

// Looked up once: the API hands back a proxy that binds to the SDK's tracer on first use after the
// SDK registers, instead of a provider lookup (name@version key, map) on every span.
const tracer = trace.getTracer(TRACER_NAME);

/** Where a queue span points: the backend's messaging system and queue name. */
export interface QueueTarget {
  messagingSystem: string;
  queueName: string;
}

/**
 * Starts the PRODUCER span of an enqueue and returns it with the carrier to store on the job and
 * its trace id (null when tracing is off), read from the span rather than extracted from the carrier.
 */
export function startEnqueueSpan(
  jobId: string,
  target: QueueTarget,
  attributes?: Attributes,
): { span: Span; carrier: Record<string, string>; traceId: string | null } {
  const all: Attributes = {
    [ATTR.MESSAGING_SYSTEM]: target.messagingSystem,
    [ATTR.MESSAGING_DESTINATION_NAME]: target.queueName,
    [ATTR.MESSAGING_OPERATION_TYPE]: 'send',
    [ATTR.MESSAGING_OPERATION_NAME]: 'send',
    [ATTR.MESSAGING_MESSAGE_ID]: jobId,
    [ATTR.RENDER_JOB_ID]: jobId,
  };
  if (attributes) Object.assign(all, attributes);
  const span = tracer.startSpan(`send ${target.queueName}`, { kind: SpanKind.PRODUCER, attributes: all });
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  const { traceId } = span.spanContext();
  return { span, carrier, traceId: traceId === INVALID_TRACE_ID ? null : traceId };
}

/**
 * Runs one attempt inside a CONSUMER span whose parent is the enqueue span carried by the job.
 * `fn` receives the span so it can set outcome attributes; the span ends when `fn` settles.
 */
export async function withConsumerSpan<T>(
  job: { id: string; attempt: number; carrier: Record<string, string> },
  target: QueueTarget,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = propagation.extract(context.active(), job.carrier);
  // Messaging conventions: the consumer also links to the producer's context, so the link holds
  // where a backend or a tool starts consumer traces anew (and for the service graph's pairing).
  const producer = trace.getSpanContext(parent);
  const links = producer && producer.traceId !== INVALID_TRACE_ID ? [{ context: producer }] : undefined;
  const span = tracer.startSpan(
    `process ${target.queueName}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        [ATTR.MESSAGING_SYSTEM]: target.messagingSystem,
        [ATTR.MESSAGING_DESTINATION_NAME]: target.queueName,
        [ATTR.MESSAGING_OPERATION_TYPE]: 'process',
        [ATTR.MESSAGING_OPERATION_NAME]: 'process',
        [ATTR.MESSAGING_MESSAGE_ID]: job.id,
        [ATTR.RENDER_JOB_ID]: job.id,
        [ATTR.RENDER_JOB_ATTEMPT]: job.attempt,
      },
      links,
    },
    parent,
  );
  try {
    // fn gets the span as an argument of context.with: no closure per attempt.
    return await context.with(trace.setSpan(parent, span), fn, undefined, span);
  } finally {
    span.end();
  }
}

/** The W3C trace context of the active span, to hand to work another process runs (a chunk of a split job). */
export function activeCarrier(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** Runs `fn` in a CONSUMER span whose parent is the context in `carrier` (a chunk's span under its job's trace, on any worker). */
export async function withCarriedSpan<T>(
  name: string,
  carrier: Record<string, string>,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = propagation.extract(context.active(), carrier);
  return context.with(parent, () => withSpan(name, attributes, fn, SpanKind.CONSUMER));
}

/** Runs `fn` in an INTERNAL child span named after the stage; a thrown error marks the span and is rethrown. */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  kind = SpanKind.INTERNAL,
): Promise<T> {
  // What startActiveSpan does, without its argument juggling and the wrapper closure per call.
  const span = tracer.startSpan(name, { kind, attributes });
  try {
    return await context.with(trace.setSpan(context.active(), span), fn, undefined, span);
  } catch (err) {
    markSpanError(span, classifyError(err));
    throw err;
  } finally {
    span.end();
  }
}

/** Sets ERROR status, records the exception and the error's code and category. */
export function markSpanError(span: Span, err: RenderError): void {
  span.recordException(err);
  span.setAttributes({
    [ATTR.ERROR_TYPE]: err.code,
    [ATTR.RENDER_ERROR_CATEGORY]: err.category,
    [ATTR.RENDER_ERROR_RETRYABLE]: err.retryable,
  });
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.code });
}

/** Adds the cancellation event a cancelled attempt's spans end with. */
export function markSpanCancelled(span: Span): void {
  span.addEvent(EVENTS.JOB_CANCELLED);
}

/** The active span's trace and span ids, for log correlation; empty when there is none. */
export function activeTraceIds(ctx: Context = context.active()): { trace_id?: string; span_id?: string } {
  const sc = trace.getSpanContext(ctx);
  if (!sc || sc.traceId === INVALID_TRACE_ID) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId };
}

/** A URL as spans may show it: scheme, host and port only, since paths and queries of user URLs may hold tokens. */
export function safeUrl(raw: string): string {
  return redactUrl(raw);
}

/**
 * `server.address` and `server.port` of an outgoing call's URL (semantic conventions for HTTP
 * clients): the service graph names the peer of a CLIENT span from them. No credentials, path or
 * query. Empty for an unparsable URL.
 */
export function serverAttributes(raw: string): { 'server.address'?: string; 'server.port'?: number } {
  try {
    const u = new URL(raw);
    const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : undefined;
    return { 'server.address': u.hostname.replace(/^\[|\]$/g, ''), ...(port ? { 'server.port': port } : {}) };
  } catch {
    return {};
  }
}
