import { test } from 'vitest';
import assert from 'node:assert/strict';
import { limiter, runAll } from './run-pool';

/** A promise with its resolve and reject. */
function deferred() {
  const d = { resolve: () => {}, reject: (_e: unknown) => {} };
  const promise = new Promise<void>((res, rej) => {
    d.resolve = res;
    d.reject = rej;
  });
  return { promise, ...d, resolve: () => d.resolve(), reject: (e: unknown) => d.reject(e) };
}

const ticks = () => new Promise((r) => setImmediate(r));

test('the limiter never runs more than its slots, and starts waiters first come first served', async () => {
  const limit = limiter(2);
  const gates = Array.from({ length: 5 }, deferred);
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const all = gates.map((g, i) =>
    limit(async () => {
      started.push(i);
      peak = Math.max(peak, ++running);
      await g.promise;
      running--;
    }),
  );
  await ticks();
  assert.deepEqual(started, [0, 1]);
  gates[1].resolve();
  await ticks();
  // A newcomer arriving while a slot is handed over waits its turn too.
  const late = limit(async () => started.push(99));
  gates[0].resolve();
  await ticks();
  assert.deepEqual(started, [0, 1, 2, 3]);
  for (const g of gates) g.resolve();
  await Promise.all([...all, late]);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 99]);
  assert.equal(peak, 2);
});

test('runAll: the first failure aborts the running siblings, queued ones see the abort, and it throws only once all settled', async () => {
  const boom = new Error('boom');
  const settled: string[] = [];
  const sibling = deferred();
  const err = await runAll(new AbortController().signal, 2, (limit, signal) => [
    limit(async () => {
      await ticks();
      throw boom;
    }),
    limit(async () => {
      signal.addEventListener('abort', () => setTimeout(() => sibling.resolve(), 20));
      await sibling.promise;
      settled.push('sibling');
    }),
    limit(async () => {
      settled.push(signal.aborted ? 'queued saw abort' : 'queued ran unaware');
    }),
  ]).then(
    () => null,
    (e: unknown) => e,
  );
  assert.equal(err, boom);
  assert.deepEqual(settled.sort(), ['queued saw abort', 'sibling']);
});
