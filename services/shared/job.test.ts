import { test } from 'vitest';
import assert from 'node:assert/strict';
import { isFinal, newJobRecord, toPublicJob } from './job';
import { parseRenderRequest } from './request';

const parsed = parseRenderRequest({ title: 'Deck', slides: [{ narration: 'secret words' }, {}] });
assert.ok(parsed.ok);
const request = parsed.request;

test('newJobRecord starts queued with nothing run yet', () => {
  const now = new Date('2026-02-03T04:05:06Z');
  const job = newJobRecord('id-1', request, 4, now);
  assert.equal(job.status, 'queued');
  assert.equal(job.title, 'Deck');
  assert.equal(job.maxAttempts, 4);
  assert.equal(job.attempts, 0);
  assert.equal(job.createdAt, now.toISOString());
  assert.equal(job.output, null);
});

test('toPublicJob hides paths, trace carriers and deck content, and counts slides', () => {
  const job = {
    ...newJobRecord('id-2', request, 3),
    outputPath: '/secret/out.mp4',
    outputKey: 'id-2.a1-secret.mp4',
    traceCarrier: { traceparent: 'x' },
    traceId: 'abc',
  };
  const pub = toPublicJob(job) as Record<string, unknown>;
  assert.equal(pub.slides, 2);
  assert.equal(pub.traceId, 'abc');
  for (const hidden of ['outputPath', 'outputKey', 'traceCarrier', 'request', 'updatedAt']) assert.equal(hidden in pub, false, hidden);
  assert.doesNotMatch(JSON.stringify(pub), /secret/);
});

test('isFinal is true only for completed, failed and cancelled', () => {
  assert.deepEqual((['queued', 'processing', 'retrying', 'completed', 'failed', 'cancelled'] as const).filter(isFinal), [
    'completed',
    'failed',
    'cancelled',
  ]);
});
