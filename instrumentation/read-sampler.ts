/**
 * Head sampling: every trace is recorded except those rooted at a high-volume read (a job's status
 * poll, the job list, the admin page), which are kept at RENDER_TRACE_READ_RATIO (default 0.05).
 * Parent-based, so a request that arrives with a sampled `traceparent` is traced whatever it reads,
 * and everything under a sampled root (POST → enqueue → attempts → stages → FFmpeg) is traced in
 * full. Built from the SDK's own samplers: ParentBasedSampler around a root choice between
 * TraceIdRatioBasedSampler and AlwaysOnSampler. (@opentelemetry/sampler-composite, the rule-based
 * package, was tried first; its latest release is built on the previous SDK major, which would put
 * a second copy of the SDK in the install.) OTEL_TRACES_SAMPLER, when set, replaces all of this
 * (sdk.ts leaves the choice to the SDK then).
 */
import type { IncomingMessage } from 'node:http';
import { createContextKey, SpanKind, type Attributes, type Context, type Link } from '@opentelemetry/api';
import {
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace';

/** Share of read-rooted traces recorded when RENDER_TRACE_READ_RATIO is unset. */
export const DEFAULT_READ_RATIO = 0.05;

/** `GET /api/jobs`, `GET /api/jobs/:id` (not its output) and the admin page: the reads clients poll. */
const SAMPLED_READS = /^\/(?:api\/jobs(?:\/[^/]+)?|admin\/metrics)\/?$/;

/** RENDER_TRACE_READ_RATIO: a number from 0 to 1; anything else throws naming the variable. */
export function traceReadRatio(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.RENDER_TRACE_READ_RATIO?.trim();
  if (!raw) return DEFAULT_READ_RATIO;
  const ratio = Number(raw);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1)
    throw new RangeError(`RENDER_TRACE_READ_RATIO must be a number from 0 to 1, got "${raw}"`);
  return ratio;
}

/** True when a GET of `target` (a request target, query string allowed) is one of the sampled reads. */
function isReadTarget(method: unknown, target: unknown): boolean {
  if (method !== 'GET' || typeof target !== 'string') return false;
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  return SAMPLED_READS.test(path);
}

/** True for a SERVER span of one of the sampled reads, from the attributes it starts with (ours or the stock instrumentation's). */
export function isSampledRead(spanKind: SpanKind, attributes: Attributes): boolean {
  if (spanKind !== SpanKind.SERVER) return false;
  return isReadTarget(attributes['http.request.method'] ?? attributes['http.method'], attributes['url.path'] ?? attributes['http.target']);
}

/**
 * Set on the parent context of a read's server span that was already kept by the head decision
 * below, so the root sampler records it instead of rolling the ratio a second time.
 */
export const READ_KEPT_AT_HEAD = createContextKey('render-o11y read kept at the head');

/**
 * The same head decision made before any span exists, for the lean server spans (server-spans.ts):
 * `false` for a read that is sampled out (it gets no span at all), `true` for one that is kept,
 * `undefined` when the request is not a sampled read or carries a `traceparent` (then the sampler
 * decides, parent-based, as for every other span). Why not let the sampler drop it: even a span the
 * sampler drops is built first (two random ids, attributes copied and checked, a non-recording span).
 * Measured on `GET /api/jobs/:id` alone with the API pinned to one core (same run, interleaved):
 * telemetry added ≈ 34 µs of CPU to a ≈ 101 µs poll before, ≈ 20 µs after. A root's decision by
 * `Math.random()` keeps the same share as the ratio sampler keeps by trace id.
 */
export type HeadDecision = (req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>) => boolean | undefined;

/** The head decision at `ratio`. */
export function readHeadDecision(ratio: number): HeadDecision {
  return (req) => {
    if (req.headers.traceparent !== undefined || !isReadTarget(req.method, req.url)) return undefined;
    return ratio >= 1 || (ratio > 0 && Math.random() < ratio);
  };
}

/** Our head decision, or undefined when OTEL_TRACES_SAMPLER is set and the SDK's standard sampler decides everything. */
export function headDecisionFromEnv(env: NodeJS.ProcessEnv = process.env): HeadDecision | undefined {
  if (env.OTEL_TRACES_SAMPLER?.trim()) return undefined;
  return readHeadDecision(traceReadRatio(env));
}

/** The root decision: a sampled read at the ratio, every other root always. */
class ReadRatioRootSampler implements Sampler {
  private readonly reads: TraceIdRatioBasedSampler;
  private readonly others = new AlwaysOnSampler();

  constructor(private readonly ratio: number) {
    this.reads = new TraceIdRatioBasedSampler(ratio);
  }

  shouldSample(context: Context, traceId: string, _name: string, kind: SpanKind, attributes: Attributes, _links: Link[]): SamplingResult {
    if (!isSampledRead(kind, attributes)) return this.others.shouldSample();
    // Kept by readHeadDecision already: rolling the ratio again would keep ratio² of the reads.
    if (context.getValue(READ_KEPT_AT_HEAD) === true) return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    return this.reads.shouldSample(context, traceId);
  }

  toString(): string {
    return `ReadRatioRootSampler{reads=${this.ratio}}`;
  }
}

/** The sampler: parent-based; at the root, reads at `ratio`, everything else always. */
export function readSampler(ratio: number): Sampler {
  return new ParentBasedSampler({ root: new ReadRatioRootSampler(ratio) });
}

/** Our sampler, or undefined when OTEL_TRACES_SAMPLER is set and the SDK should build the standard one. */
export function samplerFromEnv(env: NodeJS.ProcessEnv = process.env): Sampler | undefined {
  if (env.OTEL_TRACES_SAMPLER?.trim()) return undefined;
  return readSampler(traceReadRatio(env));
}
