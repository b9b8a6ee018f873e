/**
 * `Idempotency-Key` on `POST /api/jobs`, as the IETF Idempotency-Key draft describes it: a repeat
 * with the same key and the same request returns the first job (200, `Idempotent-Replayed: true`);
 * the same key with another request is `422 IDEMPOTENCY_KEY_REUSED`; while the first request with
 * the key is still being processed (claimed, its job not stored yet) a repeat is
 * `409 IDEMPOTENCY_KEY_IN_USE`. The request's fingerprint is kept with the key.
 */
import { createHash } from 'node:crypto';
import type { QueueBackend } from '../queue/contract';
import { BadRequestError } from '../shared/errors';
import { jobClient, type JobRecord } from '../shared/job';
import type { RenderRequest } from '../shared/request';
import { queueCall } from './queue-call';

/** How long an Idempotency-Key keeps naming its job (as payment APIs do). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * How long a claim without its job counts as a first request still in flight. A submission stores
 * its job within one store call of claiming (RENDER_STORE_TIMEOUT_MS bounds it, 60 s by default);
 * a claim older than that whose job never appeared was left by a process that died, and is taken over.
 */
export const IN_FLIGHT_MS = 60_000;

/** JSON with every object's keys sorted, so the same request always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The request's fingerprint: SHA-256 of the validated deck (defaults filled in, keys sorted), so a
 * repeat that differs only in key order, whitespace or spelled-out defaults is the same request.
 */
export function requestFingerprint(request: RenderRequest): string {
  return `sha256:${createHash('sha256').update(canonical(request)).digest('hex')}`;
}

/**
 * Claims `key` for the new job `id`; returns the job the key already names when this is a repeat
 * of the same request, null when the key is now ours. Throws 422 for another request under the
 * key and 409 while the first request with it is in flight. A key whose job is gone (deleted
 * after retention, or a claim abandoned by a dead process) is claimed afresh.
 */
export async function claimOrReplay(
  backend: QueueBackend,
  client: string,
  key: string,
  id: string,
  fingerprint: string,
): Promise<JobRecord | null> {
  for (let tries = 0; tries < 2; tries++) {
    const existing = await queueCall(() => backend.store.claimIdempotencyKey(client, key, id, IDEMPOTENCY_TTL_MS, fingerprint));
    if (existing === null) return null;
    // A claim from before fingerprints were kept cannot be compared: it replays, as it always did.
    if (existing.fingerprint !== null && existing.fingerprint !== fingerprint) throw new BadRequestError('IDEMPOTENCY_KEY_REUSED');
    const job = await queueCall(() => backend.store.get(existing.jobId));
    if (job && jobClient(job) === client) return job;
    if (!job && Date.now() - existing.claimedAtMs < IN_FLIGHT_MS) throw new BadRequestError('IDEMPOTENCY_KEY_IN_USE');
    await queueCall(() => backend.store.releaseIdempotencyKey(client, key, existing.jobId));
  }
  return null;
}
