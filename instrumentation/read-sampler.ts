/**
 * Head sampling: every trace is recorded except those rooted at a high-volume read (a job's status
 * poll, the job list, the admin page), which are kept at RENDER_TRACE_READ_RATIO (default 0.05).
 * Parent-based, so a request that arrives with a sampled `traceparent` is traced whatever it reads,
 * and everything under a sampled root (POST → enqueue → attempts → stages → FFmpeg) is traced in
 * full. Built from the maintained composable samplers (consistent probability sampling: the
 * threshold goes into `tracestate` so span-derived counts can be weighted). OTEL_TRACES_SAMPLER,
 * when set, replaces all of this (sdk.ts leaves the choice to the SDK then).
 */
import { SpanKind, type Attributes } from '@opentelemetry/api';
import {
  createComposableAlwaysOnSampler,
  createComposableParentThresholdSampler,
  createComposableProbabilitySampler,
  createComposableRuleBasedSampler,
  createCompositeSampler,
} from '@opentelemetry/sampler-composite';
import type { Sampler } from '@opentelemetry/sdk-trace-base';

/** Share of read-rooted traces recorded when RENDER_TRACE_READ_RATIO is unset. */
export const DEFAULT_READ_RATIO = 0.05;

/** `GET /api/jobs`, `GET /api/jobs/:id` (not its output) and the admin page: the reads clients poll. */
const SAMPLED_READS = [/^\/api\/jobs\/?$/, /^\/api\/jobs\/[^/]+\/?$/, /^\/admin\/metrics\/?$/];

/** RENDER_TRACE_READ_RATIO: a number from 0 to 1; anything else throws naming the variable. */
export function traceReadRatio(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.RENDER_TRACE_READ_RATIO?.trim();
  if (!raw) return DEFAULT_READ_RATIO;
  const ratio = Number(raw);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1)
    throw new RangeError(`RENDER_TRACE_READ_RATIO must be a number from 0 to 1, got "${raw}"`);
  return ratio;
}

/** True for a SERVER span of one of the sampled reads, from the attributes it starts with (ours or the stock instrumentation's). */
export function isSampledRead(spanKind: SpanKind, attributes: Attributes): boolean {
  if (spanKind !== SpanKind.SERVER) return false;
  const method = attributes['http.request.method'] ?? attributes['http.method'];
  if (method !== 'GET') return false;
  const target = attributes['url.path'] ?? attributes['http.target'];
  if (typeof target !== 'string') return false;
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  return SAMPLED_READS.some((re) => re.test(path));
}

/** The sampler: parent-based; at the root, reads at `ratio`, everything else always. */
export function readSampler(ratio: number): Sampler {
  const root = createComposableRuleBasedSampler([
    [(_ctx, _traceId, _name, kind, attributes) => isSampledRead(kind, attributes), createComposableProbabilitySampler(ratio)],
    [() => true, createComposableAlwaysOnSampler()],
  ]);
  // The package builds on @opentelemetry/sdk-trace, whose Sampler is the same shape as sdk-trace-base's
  // (the decision enum has the same values) but a different declaration to TypeScript.
  return createCompositeSampler(createComposableParentThresholdSampler(root)) as unknown as Sampler;
}

/** Our sampler, or undefined when OTEL_TRACES_SAMPLER is set and the SDK should build the standard one. */
export function samplerFromEnv(env: NodeJS.ProcessEnv = process.env): Sampler | undefined {
  if (env.OTEL_TRACES_SAMPLER?.trim()) return undefined;
  return readSampler(traceReadRatio(env));
}
