/**
 * The JSON bodies the API answers besides jobs and errors, as zod schemas: the OpenAPI document
 * takes their JSON Schema from here (as it takes the deck's from the request validator), tests
 * parse real answers with them, and the type checks below fail the build when one drifts from the
 * TypeScript type the code builds the body with.
 */
import { z } from 'zod';
import { ERROR_CATEGORIES } from '../shared/errors';
import { JOB_STATUSES } from '../shared/job';
import { SLO_WINDOW_MS, type SloWindow } from '../shared/slo';
import { SUMMARY_RANGES, type Summary, type SummaryRange } from '../shared/stats';

export { metricsJsonSchema } from '../telemetry/metrics-json-schema';

export const healthSchema = z.strictObject({ status: z.literal('ok') });

export const readySchema = z.strictObject({
  status: z.literal('ready'),
  backend: z.enum(['embedded', 'bullmq']),
  storage: z.enum(['local', 's3']).optional(),
});

export const notReadySchema = z.strictObject({ status: z.literal('unavailable'), reason: z.string() });

const nullableNumber = z.number().nullable();
const SLO_WINDOWS = Object.keys(SLO_WINDOW_MS) as [SloWindow, ...SloWindow[]];
const durationStats = z.strictObject({
  count: z.number().int(),
  avg: nullableNumber,
  p50: nullableNumber,
  p90: nullableNumber,
  p95: nullableNumber,
  p99: nullableNumber,
  min: nullableNumber,
  max: nullableNumber,
});
const extreme = z.strictObject({ jobId: z.string(), title: z.string(), seconds: z.number() }).nullable();
const totals = z.strictObject({
  ...(Object.fromEntries(JOB_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof JOB_STATUSES)[number], z.ZodNumber>),
  total: z.number().int(),
});

export const summarySchema = z.strictObject({
  range: z.enum(Object.keys(SUMMARY_RANGES) as [SummaryRange, ...SummaryRange[]]),
  generatedAt: z.string(),
  backend: z.enum(['embedded', 'bullmq']),
  totals,
  successRate: nullableNumber,
  duration: z.strictObject({ completed: durationStats, failed: durationStats }),
  fastest: extreme,
  slowest: extreme,
  avgQueueWaitSeconds: nullableNumber,
  queue: z
    .strictObject({ waiting: z.number().int(), active: z.number().int(), delayed: z.number().int(), oldestWaitingAgeSeconds: z.number() })
    .nullable(),
  errors: z.array(
    z.strictObject({
      category: z.enum(ERROR_CATEGORIES),
      count: z.number().int(),
      samples: z.array(z.strictObject({ jobId: z.string(), code: z.string(), message: z.string(), at: z.string() })),
    }),
  ),
  slo: z
    .strictObject({
      objective: z.number(),
      burning: z.boolean(),
      burnRates: z.array(
        z.strictObject({
          long: z.enum(SLO_WINDOWS),
          short: z.enum(SLO_WINDOWS),
          factor: z.number(),
          longErrorRatio: nullableNumber,
          shortErrorRatio: nullableNumber,
          burning: z.boolean(),
        }),
      ),
    })
    .nullable(),
  service: z.strictObject({
    queueReachable: z.boolean(),
    queueError: z.string().nullable(),
    workers: z.array(
      z.strictObject({
        id: z.string(),
        hostname: z.string(),
        pid: z.number().int(),
        concurrency: z.number().int(),
        active: z.number().int(),
        lastSeenAt: z.string(),
        lastSeenSecondsAgo: z.number(),
      }),
    ),
    uptimeSeconds: z.number(),
    memory: z.strictObject({ rss: z.number(), heapUsed: z.number(), heapTotal: z.number(), external: z.number() }),
  }),
});

/** The JSON Schema of one of these, for the OpenAPI document. */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

// Compile-time drift checks: the schema and the type the summary is built with accept each other.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const summaryMatches: Same<z.infer<typeof summarySchema>, Summary> = true;
void summaryMatches;
