/**
 * How object keys are spelled, the same for every adapter: `<jobId>.a<attempt>-<random>.mp4`, flat
 * in the storage's folder or prefix. The random part makes every attempt's key unique even when a
 * retried job counts its attempts from 1 again, so one attempt can never overwrite or delete
 * another's video; the `<jobId>.` prefix lets `deleteJob` find every attempt's object.
 */
import { randomBytes } from 'node:crypto';

// Job ids are UUIDs today; anything else with these characters is still a safe file name and key.
const JOB_ID = /^[A-Za-z0-9_-]{1,128}$/;
const KEY = /^[A-Za-z0-9_-]{1,128}\.[A-Za-z0-9_-]{1,64}\.mp4$/;

/** A fresh key for one attempt of `jobId`. */
export function attemptKey(jobId: string, attempt: number): string {
  assertJobId(jobId);
  if (!Number.isInteger(attempt) || attempt < 0) throw new TypeError(`invalid attempt ${attempt}`);
  return `${jobId}.a${attempt}-${randomBytes(6).toString('hex')}.mp4`;
}

/** The prefix every key of `jobId` starts with (the legacy `<jobId>.mp4` included). */
export function jobKeyPrefix(jobId: string): string {
  assertJobId(jobId);
  return `${jobId}.`;
}

/** The legacy key `<jobId>.mp4` (records from before object storage) is valid too. */
export function isValidKey(key: string): boolean {
  return KEY.test(key) || /^[A-Za-z0-9_-]{1,128}\.mp4$/.test(key);
}

/** Throws a TypeError for a key no adapter ever produces: keys never reach a path or a URL unchecked. */
export function assertKey(key: string): void {
  if (!isValidKey(key)) throw new TypeError(`invalid storage key ${JSON.stringify(key)}`);
}

function assertJobId(jobId: string): void {
  if (!JOB_ID.test(jobId)) throw new TypeError(`invalid job id for a storage key: ${JSON.stringify(jobId)}`);
}
