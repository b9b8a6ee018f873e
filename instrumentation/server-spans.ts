/**
 * A lean SERVER span per incoming HTTP request, replacing @opentelemetry/instrumentation-http's
 * incoming side (which stays on for outgoing requests). The stock one binds the request and
 * response emitters to the context, computes a dozen attributes from headers and sockets and
 * records a duration histogram: about 20% of the API's CPU per request in bench/api-throughput.ts.
 * This one does only what our traces use: W3C context from the client's `traceparent`, the span
 * active around the request handler (so the enqueue PRODUCER span is its child), the route name
 * from Express's own `req.route` once the response is done, and a few semantic-convention attributes.
 */
import http from 'node:http';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Context,
  type MeterProvider,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import { READ_KEPT_AT_HEAD, type HeadDecision } from './read-sampler';

/** What the hook needs to know about requests, kept out of this module so it stays app-agnostic. */
export interface ServerSpanOptions {
  /** True for requests that get no span at all (probes, scrapes). */
  ignore(req: http.IncomingMessage): boolean;
  /** Sets `http.route` and the span name from whatever the framework left on the request. */
  nameByRoute(span: Span, req: http.IncomingMessage): void;
  /**
   * A sampling decision made before any span is built (read-sampler.ts): false serves the request
   * with no span at all, true marks the parent context as kept, undefined leaves it to the sampler.
   */
  headDecision?: HeadDecision;
}

/** The instrumentation's name, as it appears in spans' instrumentation scope. */
export const SERVER_SPANS_NAME = 'render-o11y-http-server';

type Emit = (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}

/** Ends the span with the response's outcome: status code, route name, `error.type` on 5xx or an aborted response. */
function endSpan(span: Span, req: http.IncomingMessage, res: http.ServerResponse, options: ServerSpanOptions): void {
  try {
    options.nameByRoute(span, req);
    const status = res.statusCode;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (status >= 500) {
      span.setAttribute(ATTR_ERROR_TYPE, String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    } else if (!res.writableFinished) {
      // The client went away before the response was complete.
      span.setAttribute(ATTR_ERROR_TYPE, 'aborted');
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  } finally {
    span.end();
  }
}

/** Patches `http.Server.prototype.emit` for `'request'` events while enabled (the instrumentation contract NodeSDK drives). */
export class ServerSpanInstrumentation implements Instrumentation {
  readonly instrumentationName = SERVER_SPANS_NAME;
  readonly instrumentationVersion = '1.0.0';
  private tracer: Tracer;
  private original: Emit | undefined;
  private config: InstrumentationConfig = { enabled: true };

  /** Enabled on creation, as every instrumentation is: NodeSDK only calls `enable()` on ones created disabled. */
  constructor(private readonly options: ServerSpanOptions) {
    this.tracer = trace.getTracer(SERVER_SPANS_NAME);
    this.enable();
  }

  setTracerProvider(provider: TracerProvider): void {
    this.tracer = provider.getTracer(SERVER_SPANS_NAME, this.instrumentationVersion);
  }

  setMeterProvider(_provider: MeterProvider): void {
    // No metrics: the duration histogram the stock instrumentation records is unused by our rules and dashboards.
  }

  setConfig(config: InstrumentationConfig): void {
    this.config = { ...config };
  }

  getConfig(): InstrumentationConfig {
    return this.config;
  }

  enable(): void {
    if (this.original) return;
    const original = http.Server.prototype.emit as Emit;
    this.original = original;
    const self = this;
    // Every event of every server passes through here: `arguments` is forwarded as it is (no rest array,
    // no closure per request), and a 'request' event's two arguments are the request and the response.
    const patched = function (this: http.Server, event: string | symbol): boolean {
      // biome-ignore lint/complexity/noArguments: forwarded untouched, without allocating a rest array per event
      const args = arguments as unknown as [string | symbol, ...unknown[]];
      if (event !== 'request') return Reflect.apply(original, this, args);
      const req = args[1] as http.IncomingMessage;
      const res = args[2] as http.ServerResponse;
      const ctx = self.start(req, res);
      return ctx ? context.with(ctx, original, this, event, req, res) : original.call(this, event, req, res);
    } as Emit;
    (patched as { __wrapped?: boolean }).__wrapped = true;
    http.Server.prototype.emit = patched as http.Server['emit'];
  }

  disable(): void {
    if (!this.original) return;
    http.Server.prototype.emit = this.original as http.Server['emit'];
    this.original = undefined;
  }

  /** Starts the request's span and returns the context to run the handler in; undefined for an untraced request. */
  private start(req: http.IncomingMessage, res: http.ServerResponse): Context | undefined {
    try {
      if (this.options.ignore(req)) return undefined;
      const head = this.options.headDecision?.(req);
      if (head === false) return undefined;
      const extracted = propagation.extract(ROOT_CONTEXT, req.headers);
      const parent = head === true ? extracted.setValue(READ_KEPT_AT_HEAD, true) : extracted;
      const method = req.method ?? 'GET';
      const span = this.tracer.startSpan(
        method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: method,
            [ATTR_URL_PATH]: pathOf(req.url),
            [ATTR_SERVER_PORT]: req.socket.localPort ?? 0,
          },
        },
        parent,
      );
      // A root the sampler dropped has nothing to record and no trace to continue: its handler runs
      // outside any span, which spares the context switch and the listener.
      if (!span.isRecording() && !trace.getSpanContext(parent)) return undefined;
      // 'close' follows 'finish' on a completed response and also fires on an aborted one: one end either way.
      res.once('close', () => endSpan(span, req, res, this.options));
      return trace.setSpan(parent, span);
    } catch {
      // Telemetry never breaks the app: a failure in our own span code serves the request untraced.
      return undefined;
    }
  }
}
