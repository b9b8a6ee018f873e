/** The shape of `GET /metrics?format=json` (instrumentation/metrics-json.ts renders it), for the OpenAPI document and tests. */
import { z } from 'zod';

const labels = z.record(z.string(), z.string());
const exemplar = z.strictObject({ traceId: z.string(), spanId: z.string(), value: z.number(), timestampMs: z.number() });
/** `GET /api/metrics?format=json`: every metric family with its samples (or `disabled` without the SDK). */
export const metricsJsonSchema = z.strictObject({
  disabled: z.literal(true).optional(),
  metrics: z.array(
    z.strictObject({
      name: z.string(),
      type: z.enum(['counter', 'gauge', 'histogram']),
      help: z.string(),
      unit: z.string(),
      samples: z.array(
        z.union([
          z.strictObject({ labels, value: z.union([z.number(), z.string()]) }),
          z.strictObject({
            labels,
            buckets: z.array(
              z.strictObject({ le: z.union([z.number(), z.literal('+Inf')]), count: z.number(), exemplar: exemplar.optional() }),
            ),
            sum: z.number(),
            count: z.number(),
          }),
        ]),
      ),
    }),
  ),
});
