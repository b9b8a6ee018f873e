/** Record helpers both queue backends share, so a patch means the same thing in SQLite and in Redis. */
import type { JobPatch } from './contract';
import type { JobRecord, JobStatus, StatusChange } from '../shared/job';
import { BadRequestError } from '../shared/errors/bad-request-error';

/** What a store writes: a patch plus, for a transition, the new status (services/shared/job.ts decides which). */
export type RecordWrite = Omit<JobPatch, 'status'> & { status?: JobStatus };

/** The write of a status change: `patch` with the change's target status. */
export function transitionWrite(change: StatusChange, patch: JobPatch): RecordWrite {
  return { ...patch, status: change.to };
}

/** The record with `patch` applied; keys set to `undefined` are ignored, and `id`/`request`/`createdAt` never change. */
export function applyJobPatch(job: JobRecord, patch: RecordWrite): JobRecord {
  const next: Record<string, unknown> = { ...job };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || key === 'id' || key === 'request' || key === 'createdAt') continue;
    next[key] = value;
  }
  return next as unknown as JobRecord;
}

/** True when an `onlyIf` guard lets a write through. */
export function statusAllowed(status: JobStatus, onlyIf?: readonly JobStatus[]): boolean {
  return onlyIf === undefined || onlyIf.includes(status);
}

/** Epoch ms of an ISO timestamp; rejects records whose dates would break ordering. */
export function epochMs(iso: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`invalid timestamp ${JSON.stringify(iso)}`);
  return ms;
}

/** Encodes a list cursor so clients treat it as opaque. */
export function encodeCursor(parts: [number, string]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** Decodes a cursor from `encodeCursor`; a forged or truncated one is a client mistake (400). */
export function decodeCursor(cursor: string): [number, string] {
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts) && parts.length === 2 && Number.isSafeInteger(parts[0]) && typeof parts[1] === 'string') {
      return [parts[0], parts[1]];
    }
  } catch {
    // falls through to the 400 below
  }
  throw new BadRequestError('INVALID_CURSOR', 'cursor is not one this server issued');
}
