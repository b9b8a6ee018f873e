import type { RenderRequest } from './request';
import type { ErrorCategory } from './errors/categories';

/** Every status a job can be in; `retrying` means a retryable failure is waiting for its next attempt. */
export const JOB_STATUSES = ['queued', 'processing', 'retrying', 'completed', 'failed', 'cancelled'] as const;
/** A job's lifecycle status. */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** The status every job starts in. */
export const INITIAL_STATUS = 'queued' satisfies JobStatus;

/** The webhook events a job sends; each final status has its own. */
export const JOB_EVENTS = ['render.started', 'render.completed', 'render.failed', 'render.cancelled'] as const;
/** One webhook event. */
export type JobEvent = (typeof JOB_EVENTS)[number];

/** One allowed status change: from which statuses, to which, and what it tells the world. */
export interface Transition {
  /** Statuses the job may be in for the change to apply (empty: the record is being created). */
  readonly from: readonly JobStatus[];
  readonly to: JobStatus;
  /** The webhook event the change sends, or null. */
  readonly event: JobEvent | null;
  /** Counted in `render_jobs_total{status=to}` (a resumed start or a hand-back is not a new status of the job). */
  readonly counted: boolean;
}

/**
 * The status machine: every status change a job can make, by name. This table is the only place that
 * says which status may move where; the lifecycle service (services/jobs) is the only writer, and
 * the stores apply a change only while the record is in one of its `from` statuses.
 */
export const TRANSITIONS = {
  /** A validated request is stored and queued. */
  submit: { from: [], to: 'queued', event: null, counted: true },
  /** The record was stored but the queue refused the entry: failed visibly instead of queued for ever. */
  abandon: { from: ['queued'], to: 'failed', event: 'render.failed', counted: true },
  /** An attempt starts; from `processing` when the previous attempt's worker died mid-job. */
  start: { from: ['queued', 'retrying', 'processing'], to: 'processing', event: 'render.started', counted: false },
  /** The attempt published its video. */
  complete: { from: ['processing'], to: 'completed', event: 'render.completed', counted: true },
  /** A retryable failure with attempts left: the queue runs it again after a delay. */
  retryLater: { from: ['processing'], to: 'retrying', event: null, counted: true },
  /** A permanent failure, or a retryable one with no attempt left. */
  fail: { from: ['processing'], to: 'failed', event: 'render.failed', counted: true },
  /** The worker shut down mid-attempt: the job goes back to the queue and the start is not counted. */
  handBack: { from: ['processing'], to: 'queued', event: null, counted: false },
  /** The queue (or the runner) stopped trying because the job's workers kept dying. */
  giveUp: { from: ['queued', 'processing', 'retrying'], to: 'failed', event: 'render.failed', counted: true },
  /** A user cancelled the job. */
  cancel: { from: ['queued', 'processing', 'retrying'], to: 'cancelled', event: 'render.cancelled', counted: true },
  /** A user retried a failed or cancelled job: a new generation, queued again. */
  retry: { from: ['failed', 'cancelled'], to: 'queued', event: null, counted: true },
} as const satisfies Record<string, Transition>;

/** The name of one allowed status change. */
export type TransitionName = keyof typeof TRANSITIONS;
/** Every transition name, in table order. */
export const TRANSITION_NAMES = Object.keys(TRANSITIONS) as TransitionName[];

/** True when a job in `status` may make the change `name`. */
export function canTransition(name: TransitionName, status: JobStatus): boolean {
  return (TRANSITIONS[name].from as readonly JobStatus[]).includes(status);
}

/** The statuses a job in `status` can move to. */
export function nextStatuses(status: JobStatus): JobStatus[] {
  return [...new Set(TRANSITION_NAMES.filter((n) => canTransition(n, status)).map((n) => TRANSITIONS[n].to))];
}

declare const statusChangeBrand: unique symbol;
/**
 * A status write the stores accept: built only by `statusChange` from the table, so no store write
 * can set a status the machine does not allow (a `JobPatch` cannot carry a status at all).
 */
export interface StatusChange {
  readonly [statusChangeBrand]: true;
  readonly name: TransitionName;
  readonly from: readonly JobStatus[];
  readonly to: JobStatus;
}

/** The guarded write of transition `name`: the store applies it only while the job is in one of its `from` statuses. */
export function statusChange(name: TransitionName): StatusChange {
  const { from, to } = TRANSITIONS[name];
  return { name, from, to } as unknown as StatusChange;
}

/** Statuses after which nothing runs unless a user retries the job: exactly those no transition but a user's retry leaves. */
export const FINAL_STATUSES: readonly JobStatus[] = JOB_STATUSES.filter((s) =>
  TRANSITION_NAMES.every((n) => n === 'retry' || !canTransition(n, s)),
);

/** Pipeline stages, in the order the worker runs them. */
export const STAGES = ['fetch', 'tts', 'encode', 'store'] as const;
/** One pipeline stage. */
export type Stage = (typeof STAGES)[number];

/** The error a failed (or retrying) job reports to its users. */
export interface JobError {
  code: string;
  category: ErrorCategory;
  message: string;
  retryable: boolean;
}

/** Where and what the rendered video is. */
export interface JobOutput {
  url: string;
  bytes: number;
  durationSeconds: number;
  width: number;
  height: number;
}

/** A job as it is stored: the public fields plus what the worker needs (the request, the trace carrier, the file path). */
export interface JobRecord {
  id: string;
  title: string;
  status: JobStatus;
  stage: Stage | null;
  progress: number;
  attempts: number;
  maxAttempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
  queueWaitSeconds: number | null;
  error: JobError | null;
  output: JobOutput | null;
  /**
   * Storage key of the published video (see services/storage): written only by the attempt that
   * wins the final status update. Never shown to clients.
   */
  outputKey?: string | null;
  /** Local path of the MP4 in records from before object storage (read-only now); never shown to clients. */
  outputPath: string | null;
  traceId: string | null;
  /** W3C trace context of the enqueue (PRODUCER) span, so every attempt's CONSUMER span joins the same trace. */
  traceCarrier: Record<string, string>;
  request: RenderRequest;
  /** Who submitted the job (an API key's client name); records from before API keys have none and belong to `anonymous`. */
  client?: string;
  /**
   * Set when the record is created and when a user's retry resets it; progress and status updates do
   * not bump it. The summary uses it as the time of an error on a job that has no finishedAt yet.
   */
  updatedAt: string;
  /**
   * Bumped by every user retry and carried by the queue entry it enqueues, so a late-finishing
   * attempt of an older generation can only settle its own entry, never the new one. Absent = 0
   * (records written before generations existed).
   */
  generation?: number;
  /** The attempt that currently owns the record (set when it starts processing): only it may complete the job. */
  attemptId?: string | null;
}

/** The job as the API returns it. */
export type PublicJob = Omit<
  JobRecord,
  'outputPath' | 'outputKey' | 'traceCarrier' | 'request' | 'updatedAt' | 'generation' | 'attemptId' | 'client'
> & {
  slides: number;
};

/** Strips internal fields: clients never see file paths, trace carriers or the deck's content. */
export function toPublicJob(job: JobRecord): PublicJob {
  const {
    outputPath: _p,
    outputKey: _k,
    traceCarrier: _c,
    request,
    updatedAt: _u,
    generation: _g,
    attemptId: _a,
    client: _o,
    ...rest
  } = job;
  return { ...rest, slides: request.slides.length };
}

/** The client every caller is when no API keys are configured, and the owner of records that name none. */
export const ANONYMOUS_CLIENT = 'anonymous';

/** The client a record belongs to. */
export function jobClient(job: Pick<JobRecord, 'client'>): string {
  return job.client ?? ANONYMOUS_CLIENT;
}

/** Statuses that count against a client's cap on active jobs: every status that is not final. */
export const ACTIVE_STATUSES: readonly JobStatus[] = JOB_STATUSES.filter((s) => !FINAL_STATUSES.includes(s));

/** True once a job will not run again on its own. */
export function isFinal(status: JobStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/** A new record for a validated request, in status `queued`. */
export function newJobRecord(id: string, request: RenderRequest, maxAttempts: number, now = new Date()): JobRecord {
  const iso = now.toISOString();
  return {
    id,
    title: request.title,
    status: INITIAL_STATUS,
    stage: null,
    progress: 0,
    attempts: 0,
    maxAttempts,
    createdAt: iso,
    startedAt: null,
    finishedAt: null,
    durationSeconds: null,
    queueWaitSeconds: null,
    error: null,
    output: null,
    outputKey: null,
    outputPath: null,
    traceId: null,
    traceCarrier: {},
    request,
    generation: 0,
    attemptId: null,
    updatedAt: iso,
  };
}
