import { z } from 'zod';
import { BODY_TEXT_PATTERN, BODY_TEXT_RULE, TITLE_PATTERN, TITLE_RULE } from './text';

/** Limits a deck must respect; exported so the docs, the CLI and the tests use the same numbers. */
export const LIMITS = Object.freeze({
  maxSlides: 200,
  minSlideSeconds: 0.5,
  maxSlideSeconds: 600,
  minDimension: 16,
  maxDimension: 3840,
  minFps: 1,
  maxFps: 60,
  maxTitleChars: 200,
  maxContentChars: 5000,
  maxNarrationChars: 5000,
  maxUrlChars: 2048,
  maxTotalSeconds: 2 * 60 * 60,
  maxBodyBytes: 1024 * 1024,
});

const httpUrl = z
  .string()
  .max(LIMITS.maxUrlChars)
  .refine((value) => {
    try {
      const { protocol } = new URL(value);
      return protocol === 'http:' || protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http or https URL');

const dimension = z
  .number()
  .int()
  .min(LIMITS.minDimension)
  .max(LIMITS.maxDimension)
  .refine((n) => n % 2 === 0, 'must be even (H.264 with yuv420p needs even dimensions)');

/** One slide of a deck. */
const title = () => z.string().max(LIMITS.maxTitleChars).regex(TITLE_PATTERN, TITLE_RULE);
const bodyText = (max: number) => z.string().max(max).regex(BODY_TEXT_PATTERN, BODY_TEXT_RULE);

export const slideSchema = z.strictObject({
  title: title().default(''),
  content: bodyText(LIMITS.maxContentChars).default(''),
  imageUrl: httpUrl.optional(),
  audioUrl: httpUrl.optional(),
  narration: bodyText(LIMITS.maxNarrationChars).min(1).optional(),
  duration: z.number().min(LIMITS.minSlideSeconds).max(LIMITS.maxSlideSeconds).default(5),
  transition: z.enum(['fade', 'none']).default('fade'),
});

/** Output settings; every field has a default. */
export const renderConfigSchema = z.strictObject({
  width: dimension.default(1920),
  height: dimension.default(1080),
  fps: z.number().int().min(LIMITS.minFps).max(LIMITS.maxFps).default(30),
  quality: z.enum(['low', 'medium', 'high']).default('medium'),
  voice: z
    .string()
    .regex(/^[a-z]{2,3}(-[a-z0-9]{1,8})*$/i, 'must be an espeak-ng voice name such as pt-br or en-us')
    .max(32)
    .default('pt-br'),
});

/** A render request as clients send it to `POST /api/jobs`. */
export const renderRequestSchema = z
  .strictObject({
    title: title().min(1),
    slides: z.array(slideSchema).min(1).max(LIMITS.maxSlides),
    config: renderConfigSchema.prefault({}),
    webhookUrl: httpUrl.optional(),
  })
  .superRefine((req, ctx) => {
    const total = req.slides.reduce((sum, s) => sum + s.duration, 0);
    if (total > LIMITS.maxTotalSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['slides'],
        message: `total video length ${total}s exceeds ${LIMITS.maxTotalSeconds}s`,
      });
    }
  });

/** A validated request with every default filled in. */
export type RenderRequest = z.output<typeof renderRequestSchema>;
/** One validated slide. */
export type Slide = RenderRequest['slides'][number];
/** Validated output settings. */
export type RenderConfig = RenderRequest['config'];

/** One field-level problem, with a dotted path such as `slides.0.duration`. */
export interface ValidationDetail {
  path: string;
  message: string;
}

/** Result of validating an untrusted body: either the request or the list of problems. */
export type ParseResult = { ok: true; request: RenderRequest } | { ok: false; details: ValidationDetail[] };

/** Validates an untrusted body; never throws. */
export function parseRenderRequest(body: unknown): ParseResult {
  const result = renderRequestSchema.safeParse(body);
  if (result.success) return { ok: true, request: result.data };
  return {
    ok: false,
    details: result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.') || '(body)',
      message: issue.message,
    })),
  };
}

/** Preset and CRF for each quality level (libx264). */
export const QUALITY_PRESETS = Object.freeze({
  low: { preset: 'veryfast', crf: 30 },
  medium: { preset: 'veryfast', crf: 23 },
  high: { preset: 'medium', crf: 18 },
} as const);
