/**
 * Summary statistics over job records: the one aggregator behind `GET /api/admin/summary` and the
 * `/admin/metrics` page, so both always show the same figures.
 */
import type { ErrorCategory } from './errors/categories';
import type { JobStatus } from './job';

/** Ranges the summary accepts. */
export const SUMMARY_RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
/** One summary range. */
export type SummaryRange = keyof typeof SUMMARY_RANGES;

/** Distribution of durations (seconds); nulls when there are no samples. */
export interface DurationStats {
  count: number;
  avg: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  min: number | null;
  max: number | null;
}

/** Errors of one category over the range, with up to 3 recent sample messages. */
export interface CategoryErrors {
  category: ErrorCategory;
  count: number;
  samples: { jobId: string; code: string; message: string; at: string }[];
}

/** A worker seen by the queue backend. */
export interface WorkerStatus {
  id: string;
  hostname: string;
  pid: number;
  concurrency: number;
  active: number;
  lastSeenAt: string;
  lastSeenSecondsAgo: number;
}

/** Everything the admin summary reports. */
export interface Summary {
  range: SummaryRange;
  generatedAt: string;
  backend: 'embedded' | 'bullmq';
  totals: Record<JobStatus, number> & { total: number };
  /** completed / (completed + failed); null when neither happened. */
  successRate: number | null;
  duration: { completed: DurationStats; failed: DurationStats };
  fastest: { jobId: string; title: string; seconds: number } | null;
  slowest: { jobId: string; title: string; seconds: number } | null;
  avgQueueWaitSeconds: number | null;
  queue: { waiting: number; active: number; delayed: number; oldestWaitingAgeSeconds: number } | null;
  errors: CategoryErrors[];
  service: {
    queueReachable: boolean;
    queueError: string | null;
    workers: WorkerStatus[];
    uptimeSeconds: number;
    memory: { rss: number; heapUsed: number; heapTotal: number; external: number };
  };
}
