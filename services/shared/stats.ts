/**
 * Summary statistics over job records: the one aggregator behind `GET /api/admin/summary` and the
 * `/admin/metrics` page, so both always show the same figures.
 */
import type { ErrorCategory } from './errors/categories';
import { JOB_STATUSES, type JobRecord, type JobStatus } from './job';
import type { QueueCounts, WorkerInfo } from './queue-state';
import type { SloStatus } from './slo';

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

/** A worker seen by the queue backend, with how long ago it last heartbeated. */
export interface WorkerStatus extends WorkerInfo {
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
  /** The job success SLO's burn rates now (the same rule as RenderSLOBurnRate); null when not gathered. */
  slo: SloStatus | null;
  service: {
    queueReachable: boolean;
    queueError: string | null;
    workers: WorkerStatus[];
    uptimeSeconds: number;
    memory: { rss: number; heapUsed: number; heapTotal: number; external: number };
  };
}

/** Everything `computeSummary` needs; gathered by the API's SummaryService so the aggregation stays pure. */
export interface SummaryInput {
  range: SummaryRange;
  now: Date;
  backend: Summary['backend'];
  /** The job figures over the range, aggregated by the store (SQL), or… */
  facts?: JobFacts;
  /** …the jobs created within the range, aggregated here (stores without aggregates, tests). */
  jobs?: readonly JobRecord[];
  /** Null when the queue could not be read. */
  queue: QueueCounts | null;
  queueError: string | null;
  workers: readonly WorkerInfo[];
  uptimeSeconds: number;
  memory: Summary['service']['memory'];
  /** The SLO's state, gathered over its own windows (services/shared/slo.ts). */
  slo?: SloStatus;
}

/** How many error samples each category keeps. */
export const ERROR_SAMPLES_PER_CATEGORY = 3;

/**
 * Percentile by the nearest-rank method over ascending `sorted`: the smallest value with at least
 * q% of samples at or below it. Chosen over interpolation so every reported figure is a real job's duration.
 */
export function nearestRank(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((q / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** Count, mean, nearest-rank percentiles, min and max of some durations (seconds). */
export function durationStats(values: readonly number[]): DurationStats {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    count: n,
    avg: n ? sorted.reduce((s, v) => s + v, 0) / n : null,
    p50: nearestRank(sorted, 50),
    p90: nearestRank(sorted, 90),
    p95: nearestRank(sorted, 95),
    p99: nearestRank(sorted, 99),
    min: n ? sorted[0] : null,
    max: n ? sorted[n - 1] : null,
  };
}

const durationsOf = (jobs: readonly JobRecord[], status: JobStatus) =>
  jobs.filter((j) => j.status === status && j.durationSeconds !== null) as (JobRecord & { durationSeconds: number })[];

/** Groups final failures by category, most frequent first, each with its most recent samples. */
function errorsByCategory(jobs: readonly JobRecord[]): CategoryErrors[] {
  const groups = new Map<ErrorCategory, JobRecord[]>();
  for (const job of jobs) {
    if (job.status !== 'failed' || !job.error) continue;
    const list = groups.get(job.error.category) ?? [];
    list.push(job);
    groups.set(job.error.category, list);
  }
  const at = (j: JobRecord) => j.finishedAt ?? j.updatedAt;
  return [...groups.entries()]
    .map(([category, list]) => ({
      category,
      count: list.length,
      samples: [...list]
        .sort((a, b) => at(b).localeCompare(at(a)))
        .slice(0, ERROR_SAMPLES_PER_CATEGORY)
        .map((j) => ({ jobId: j.id, code: j.error!.code, message: j.error!.message, at: at(j) })),
    }))
    .sort((a, b) => b.count - a.count || a.category.localeCompare(b.category));
}

/** The job figures of a summary: what a store can aggregate without handing every job over. */
export interface JobFacts {
  totals: Record<JobStatus, number>;
  completed: DurationStats;
  failed: DurationStats;
  fastest: Summary['fastest'];
  slowest: Summary['slowest'];
  avgQueueWaitSeconds: number | null;
  errors: CategoryErrors[];
}

/** Zero for every status. */
export function emptyTotals(): Record<JobStatus, number> {
  return Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
}

/**
 * The job figures computed from the jobs themselves. Durations are split by outcome (completed vs
 * failed); errors count final failures only (a job that later succeeded is not an error users saw).
 */
export function factsOfJobs(jobs: readonly JobRecord[]): JobFacts {
  const totals = emptyTotals();
  for (const job of jobs) totals[job.status]++;
  const completed = durationsOf(jobs, 'completed');
  const pick = (better: (a: number, b: number) => boolean) =>
    completed.reduce<(typeof completed)[number] | null>(
      (best, j) => (best === null || better(j.durationSeconds, best.durationSeconds) ? j : best),
      null,
    );
  const brief = (j: (typeof completed)[number] | null) => (j ? { jobId: j.id, title: j.title, seconds: j.durationSeconds } : null);
  const waits = jobs.map((j) => j.queueWaitSeconds).filter((w): w is number => w !== null);
  return {
    totals,
    completed: durationStats(completed.map((j) => j.durationSeconds)),
    failed: durationStats(durationsOf(jobs, 'failed').map((j) => j.durationSeconds)),
    fastest: brief(pick((a, b) => a < b)),
    slowest: brief(pick((a, b) => a > b)),
    avgQueueWaitSeconds: waits.length ? waits.reduce((s, v) => s + v, 0) / waits.length : null,
    errors: errorsByCategory(jobs),
  };
}

/** The admin summary from the job figures (aggregated by the store, or from jobs) and the live service state. */
export function computeSummary(input: SummaryInput): Summary {
  const { now } = input;
  const facts = input.facts ?? factsOfJobs(input.jobs ?? []);
  const { totals } = facts;
  const finished = totals.completed + totals.failed;
  return {
    range: input.range,
    generatedAt: now.toISOString(),
    backend: input.backend,
    totals: { ...totals, total: Object.values(totals).reduce((a, b) => a + b, 0) },
    successRate: finished ? totals.completed / finished : null,
    duration: { completed: facts.completed, failed: facts.failed },
    fastest: facts.fastest,
    slowest: facts.slowest,
    avgQueueWaitSeconds: facts.avgQueueWaitSeconds,
    queue: input.queue ? { ...input.queue } : null,
    errors: facts.errors,
    slo: input.slo ?? null,
    service: {
      queueReachable: input.queue !== null,
      queueError: input.queueError,
      workers: input.workers.map((w) => ({
        ...w,
        lastSeenSecondsAgo: Math.max(0, (now.getTime() - Date.parse(w.lastSeenAt)) / 1000),
      })),
      uptimeSeconds: input.uptimeSeconds,
      memory: { ...input.memory },
    },
  };
}
