/**
 * Which auto-instrumentations run, and how. `getNodeAutoInstrumentations()` creates and enables
 * every instrumentation it returns (filtering its result leaves them patched), so the selection is
 * made before the call: an allow-list through OTEL_NODE_ENABLED_INSTRUMENTATIONS (the user's own
 * value wins) plus explicit `enabled: false` for the noisy ones.
 */
import type { IncomingMessage } from 'node:http';
import { getNodeAutoInstrumentations, type InstrumentationConfigMap } from '@opentelemetry/auto-instrumentations-node';
import type { Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
import { stockHttpServerSpans } from './env';
import { headDecisionFromEnv } from './read-sampler';
import { ServerSpanInstrumentation } from './server-spans';
import { isProbePath } from '../telemetry-bridge/probe-paths';

/**
 * Instrumentation package suffixes enabled by default. Express is left out on purpose: even with
 * every layer span ignored it wraps each middleware call and cost ~15% of API throughput in
 * bench/api-throughput.ts; `nameServerSpanByRoute` gives server spans the same `GET /api/jobs/:id`
 * names for free. Add `express` to OTEL_NODE_ENABLED_INSTRUMENTATIONS to get layer-level detail.
 */
export const ENABLED_INSTRUMENTATIONS = ['http', 'ioredis', 'undici', 'runtime-node'] as const;

/** True for a probe or scrape (telemetry-bridge/probe-paths.ts), which never gets a server span. */
export function isUntracedRequest(req: Pick<IncomingMessage, 'url'>): boolean {
  return isProbePath(req.url ?? '');
}

/** Names a server span after the Express route that answered (`req.baseUrl` + `req.route.path`), set by Express itself. */
export function nameServerSpanByRoute(span: Span, request: unknown): void {
  const req = request as { method?: string; baseUrl?: string; route?: { path?: unknown } };
  const path = req.route?.path;
  if (typeof path !== 'string' || typeof req.method !== 'string') return;
  const base = req.baseUrl ?? '';
  // A router mounted at /api/jobs answering its '/' is the route /api/jobs, as Express instrumentation names it.
  const route = base && path === '/' ? base : `${base}${path}`;
  span.setAttribute(ATTR_HTTP_ROUTE, route);
  span.updateName(`${req.method} ${route}`);
}

/**
 * Span attributes that replace the undici instrumentation's `url.full`, `url.path` and `url.query`:
 * the origin only (scheme, host and port), and `REDACTED` for the rest, as the semantic conventions
 * ask for sensitive URL parts.
 */
export function redactedUrlAttributes(origin: string | URL): Record<string, string> {
  let full = 'REDACTED';
  try {
    const u = new URL(String(origin));
    const port = u.port || (u.protocol === 'https:' ? '443' : '80');
    full = `${u.protocol}//${u.hostname}:${port}`;
  } catch {
    // an unparsable origin stays fully redacted
  }
  return { 'url.full': full, 'url.path': 'REDACTED', 'url.query': 'REDACTED' };
}

/**
 * Per-instrumentation settings: fewer, cheaper spans with no user data in them. With `leanServer`
 * the http instrumentation only does outgoing requests; ServerSpanInstrumentation does incoming ones.
 */
export function instrumentationConfig(leanServer = true): InstrumentationConfigMap {
  return {
    '@opentelemetry/instrumentation-http': {
      disableIncomingRequestInstrumentation: leanServer,
      ignoreIncomingRequestHook: isUntracedRequest,
      applyCustomAttributesOnSpan: (span, request) => nameServerSpanByRoute(span, request),
      // Background HTTP with no trace around it (BullMQ, health pings) is noise.
      requireParentforOutgoingSpans: true,
    },
    // Layer spans cost ~15% of API throughput and say little; the route still names the server span.
    '@opentelemetry/instrumentation-express': { ignoreLayersType: ['middleware', 'request_handler', 'router'] as never },
    '@opentelemetry/instrumentation-ioredis': {
      requireParentSpan: true,
      // Command names only: arguments carry job payloads.
      dbStatementSerializer: (cmdName: string) => cmdName,
    },
    '@opentelemetry/instrumentation-undici': {
      requireParentforSpans: true,
      // Asset and webhook URLs are user input whose paths and queries may hold tokens: spans keep scheme, host and port.
      startSpanHook: (request) => redactedUrlAttributes(request.origin),
    },
    // The event-loop-delay monitor wakes the loop every `monitoringPrecision` ms. At the default 10 ms
    // it cost ~10 ms of CPU per second on an idle service (measured: 12 vs 2 ms/s with the SDK off),
    // ~3% of a short render's CPU; 100 ms keeps the delay percentiles useful at a tenth of the wakeups.
    '@opentelemetry/instrumentation-runtime-node': { monitoringPrecision: 100 },
    '@opentelemetry/instrumentation-fs': { enabled: false },
    '@opentelemetry/instrumentation-dns': { enabled: false },
    '@opentelemetry/instrumentation-net': { enabled: false },
    // Never from the auto list: createInstrumentations makes its own, for log sending only.
    '@opentelemetry/instrumentation-pino': { enabled: false },
  };
}

/**
 * The pino instrumentation for OTLP log sending only: it adds an in-process stream next to the
 * logger's own destination (stdout is written as before) that turns each record into an
 * OpenTelemetry log record, emitted in the caller's context so it carries the active span's ids. Our
 * logger's mixin already writes trace_id/span_id into the JSON line, so correlation stays off here.
 */
export function pinoLogSending(): Instrumentation {
  return new PinoInstrumentation({ disableLogCorrelation: true, disableLogSending: false });
}

/**
 * Creates (and thereby enables) only the selected instrumentations. Incoming HTTP gets our lean
 * server spans whenever `http` is selected, unless RENDER_HTTP_SERVER_SPANS=stock asks for the stock
 * ones; pino's records go to the logs SDK when `logSending` (an OTLP or console log exporter is set).
 */
export function createInstrumentations(env: NodeJS.ProcessEnv = process.env, logSending = false): Instrumentation[] {
  const key = 'OTEL_NODE_ENABLED_INSTRUMENTATIONS';
  const userValue = env[key];
  if (!userValue) env[key] = ENABLED_INSTRUMENTATIONS.join(',');
  const lean = !stockHttpServerSpans(env);
  try {
    const selected = getNodeAutoInstrumentations(instrumentationConfig(lean));
    const httpOn = selected.some((i) => i.instrumentationName === '@opentelemetry/instrumentation-http');
    if (lean && httpOn)
      selected.push(
        new ServerSpanInstrumentation({
          ignore: isUntracedRequest,
          nameByRoute: nameServerSpanByRoute,
          headDecision: headDecisionFromEnv(env),
        }),
      );
    if (logSending) selected.push(pinoLogSending());
    return selected;
  } finally {
    // Restored so the allow-list does not leak into the environment of child processes.
    if (!userValue) delete env[key];
  }
}
