import type { RenderRequest } from './request';
import type { ErrorCategory } from './errors/categories';

/** Every status a job can be in; `retrying` means a retryable failure is waiting for its next attempt. */
export const JOB_STATUSES = ['queued', 'processing', 'retrying', 'completed', 'failed', 'cancelled'] as const;
/** A job's lifecycle status. */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses after which nothing runs unless a user retries the job. */
export const FINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

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

/** Statuses that count against a client's cap on active jobs. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ['queued', 'processing', 'retrying'];

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
    status: 'queued',
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
