/** The categories users see in `render_errors_total{category}`; a small fixed set, safe as a metric label. */
export const ERROR_CATEGORIES = ['timeout', 'ffmpeg', 'network', 'storage', 'auth', 'resource', 'validation', 'unknown'] as const;
/** One error category. */
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];
