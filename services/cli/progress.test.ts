import { test } from 'vitest';
import assert from 'node:assert/strict';
import { EtaEstimator, formatSeconds, progressLine } from './progress';

test('ETA follows the observed progress rate', () => {
  const eta = new EtaEstimator();
  assert.equal(eta.update(0.1, 0), null);
  // 0.2 of the work in 10 s → 0.7 left takes 35 s.
  assert.equal(eta.update(0.3, 10_000), 35);
  assert.equal(eta.update(1, 20_000), 0);
});

test('ETA restarts when progress goes back (a retry starts over)', () => {
  const eta = new EtaEstimator();
  eta.update(0.5, 0);
  assert.equal(eta.update(0.2, 5_000), null);
  assert.ok(Math.abs(eta.update(0.6, 9_000)! - 4) < 1e-9);
});

test('progress line shows bar, percent, stage and ETA', () => {
  assert.equal(progressLine('processing', 'encode', 0.5, 65, 10), '[#####-----]  50% encode     ETA 1m05s');
  assert.equal(progressLine('queued', null, 0, null, 4), '[----]   0% queued    ');
  assert.equal(formatSeconds(59.4), '59s');
});
