/**
 * The batched histogram against the SDK's own histogram fed directly (the oracle): the same
 * observations, in many label sets, must collect to the same buckets, sums and counts, whether they
 * were handed over by a full batch, by the flush before collection, or directly past the series cap.
 */
import assert from 'node:assert/strict';
import { afterAll, test } from 'vitest';
import { metrics, type Attributes } from '@opentelemetry/api';
import { installTestTelemetry } from '../../test/support/telemetry';
import type { HistogramSample } from '../../instrumentation/metric-families';
import { BatchedHistogram } from './batched-histogram';

const t = installTestTelemetry();
afterAll(() => t.shutdown());

const bounds = [0.005, 0.01, 0.05, 0.1, 0.5, 1];

async function histogramSamples(name: string): Promise<HistogramSample[]> {
  const family = (await t.reader.families()).find((f) => f.name === name);
  assert.ok(family && family.type === 'histogram', `${name} collected as a histogram`);
  return [...family.samples].sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
}

test('batched and direct records collect to the same histogram, across batch flushes, collection flushes and the series cap', async () => {
  const meter = metrics.getMeter('batched-histogram-test');
  const options = { unit: 's', description: 'test', advice: { explicitBucketBoundaries: bounds } };
  const direct = meter.createHistogram('oracle_direct', options);
  // Batches of 7 over 5 label sets, of which only 3 are kept apart: every way of handing values over is used.
  const batched = new BatchedHistogram(meter.createHistogram('oracle_batched', options), 7, 3);
  const flushBeforeCollect = meter.createObservableGauge('oracle_flush_hook');
  meter.addBatchObservableCallback(() => batched.flush(), [flushBeforeCollect]);

  const labelSets: Attributes[] = [
    { method: 'GET', status: 200, route: '/a' },
    { method: 'GET', status: 404 },
    { method: 'POST', status: 202, route: '/a' },
    { method: 'GET', status: 500, route: '/b' },
    { method: 'DELETE', status: 204, route: '/a/:id' },
  ];
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed / 2 ** 31) * 1.5;
  };
  const rounds = [53, 1, 200];
  for (const n of rounds) {
    for (let i = 0; i < n; i++) {
      const set = i % labelSets.length;
      const value = random();
      direct.record(value, labelSets[set]);
      batched.record(`set-${set}`, () => labelSets[set], value);
    }
    // Collection hands over what is still kept: both sides agree after every round.
    const [d, b] = [await histogramSamples('oracle_direct_seconds'), await histogramSamples('oracle_batched_seconds')];
    assert.equal(batched.pending(), 0);
    assert.equal(b.length, labelSets.length);
    assert.deepEqual(
      b.map((s) => ({ ...s, sum: Number(s.sum.toFixed(9)) })),
      d.map((s) => ({ ...s, sum: Number(s.sum.toFixed(9)) })),
    );
  }
  const total = (await histogramSamples('oracle_batched_seconds')).reduce((n, s) => n + s.count, 0);
  assert.equal(
    total,
    rounds.reduce((a, b) => a + b),
  );
});

test('values wait in their batch until it is full or a collection comes; the label set is built once per key', () => {
  const recorded: [number, Attributes][] = [];
  const histogram = { record: (v: number, a?: Attributes) => void recorded.push([v, a ?? {}]) };
  const batched = new BatchedHistogram(histogram, 3, 8);
  let built = 0;
  const attributes = () => (built++, { route: '/x' });
  batched.record('x', attributes, 1);
  batched.record('x', attributes, 2);
  assert.equal(recorded.length, 0);
  assert.equal(batched.pending(), 2);
  batched.record('x', attributes, 3);
  assert.deepEqual(
    recorded.map(([v]) => v),
    [1, 2, 3],
  );
  batched.record('x', attributes, 4);
  batched.flush();
  assert.deepEqual(
    recorded.map(([v]) => v),
    [1, 2, 3, 4],
  );
  assert.equal(built, 1);
  assert.ok(
    recorded.every(([, a]) => a === recorded[0][1]),
    'one attributes object per label set',
  );
});
