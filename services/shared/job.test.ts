import { test } from 'vitest';
import assert from 'node:assert/strict';
import {
  ACTIVE_STATUSES,
  canTransition,
  FINAL_STATUSES,
  isFinal,
  JOB_EVENTS,
  JOB_STATUSES,
  type JobStatus,
  newJobRecord,
  nextStatuses,
  statusChange,
  toPublicJob,
  TRANSITION_NAMES,
  TRANSITIONS,
  type TransitionName,
} from './job';
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

/**
 * The whole machine, written out once more by hand: for every transition, every status it may
 * start from. Any change to TRANSITIONS must change this too, on purpose.
 */
const EXPECTED: Record<TransitionName, { from: JobStatus[]; to: JobStatus; event: string | null }> = {
  submit: { from: [], to: 'queued', event: null },
  abandon: { from: ['queued'], to: 'failed', event: 'render.failed' },
  start: { from: ['queued', 'processing', 'retrying'], to: 'processing', event: 'render.started' },
  complete: { from: ['processing'], to: 'completed', event: 'render.completed' },
  retryLater: { from: ['processing'], to: 'retrying', event: null },
  fail: { from: ['processing'], to: 'failed', event: 'render.failed' },
  handBack: { from: ['processing'], to: 'queued', event: null },
  giveUp: { from: ['queued', 'processing', 'retrying'], to: 'failed', event: 'render.failed' },
  cancel: { from: ['queued', 'processing', 'retrying'], to: 'cancelled', event: 'render.cancelled' },
  retry: { from: ['failed', 'cancelled'], to: 'queued', event: null },
};

test('the transition table is exactly the expected machine, checked for every (transition, status) pair', () => {
  assert.deepEqual([...TRANSITION_NAMES].sort(), Object.keys(EXPECTED).sort());
  for (const name of TRANSITION_NAMES) {
    assert.equal(TRANSITIONS[name].to, EXPECTED[name].to, name);
    assert.equal(TRANSITIONS[name].event, EXPECTED[name].event, name);
    for (const status of JOB_STATUSES) {
      assert.equal(canTransition(name, status), EXPECTED[name].from.includes(status), `${name} from ${status}`);
    }
  }
});

test('final statuses are those only a user retry leaves; active statuses are the rest', () => {
  assert.deepEqual(FINAL_STATUSES, ['completed', 'failed', 'cancelled']);
  assert.deepEqual(ACTIVE_STATUSES, ['queued', 'processing', 'retrying']);
  assert.deepEqual(nextStatuses('completed'), [], 'nothing leaves completed');
  assert.deepEqual(nextStatuses('failed'), ['queued']);
  assert.deepEqual(nextStatuses('cancelled'), ['queued']);
  assert.deepEqual(nextStatuses('queued').sort(), ['cancelled', 'failed', 'processing']);
  assert.deepEqual(nextStatuses('processing').sort(), ['cancelled', 'completed', 'failed', 'processing', 'queued', 'retrying']);
  assert.deepEqual(nextStatuses('retrying').sort(), ['cancelled', 'failed', 'processing']);
});

test('every final status is announced by an event, and every event belongs to a transition', () => {
  for (const status of FINAL_STATUSES) {
    const into = TRANSITION_NAMES.filter((n) => TRANSITIONS[n].to === status);
    assert.ok(into.length > 0, status);
    for (const name of into) assert.equal(TRANSITIONS[name].event, `render.${status}`, `${name} → ${status}`);
  }
  assert.deepEqual(
    [...new Set(TRANSITION_NAMES.map((n) => TRANSITIONS[n].event).filter((e) => e !== null))].sort(),
    [...JOB_EVENTS].sort(),
  );
});

test('every status is reachable from submit, and every non-final status can still end', () => {
  const reached = new Set<JobStatus>([TRANSITIONS.submit.to]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of [...reached]) for (const n of nextStatuses(s)) if (!reached.has(n)) grew = reached.add(n) !== undefined;
  }
  assert.deepEqual([...reached].sort(), [...JOB_STATUSES].sort());
  for (const s of ACTIVE_STATUSES) assert.ok(nextStatuses(s).some(isFinal), `${s} can reach a final status`);
});

test('statusChange carries the guard and the target of its transition', () => {
  for (const name of TRANSITION_NAMES) {
    const change = statusChange(name);
    assert.equal(change.name, name);
    assert.equal(change.to, TRANSITIONS[name].to);
    assert.deepEqual(change.from, TRANSITIONS[name].from);
  }
});
