import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import type { MetricFamily } from './metric-families';
import { renderJson } from './metrics-json';
import { promtoolCheckMetrics } from './promtool';
import { escapeLabelValue, formatValue, renderPrometheusText } from './prometheus-text';

const families: MetricFamily[] = [
  {
    name: 'demo_requests_total',
    help: 'Requests with "quotes" and a back\\slash\nand a newline.',
    unit: '',
    type: 'counter',
    samples: [
      { labels: { path: 'a"b\\c\nd', code: '200' }, value: 3 },
      { labels: {}, value: 1 },
    ],
  },
  {
    name: 'demo_temperature_celsius',
    help: '',
    unit: 'Cel',
    type: 'gauge',
    samples: [
      { labels: {}, value: Number.NaN },
      { labels: { probe: 'hot' }, value: Number.POSITIVE_INFINITY },
      { labels: { probe: 'cold' }, value: -0.5 },
    ],
  },
  {
    name: 'demo_latency_seconds',
    help: 'Latency.',
    unit: 's',
    type: 'histogram',
    samples: [
      { labels: { route: '/x' }, bounds: [0.1, 1], cumulative: [2, 5], sum: 3.25, count: 6 },
      { labels: {}, bounds: [0.1, 1], cumulative: [0, 0], sum: 0, count: 0 },
    ],
  },
];

describe('Prometheus text renderer', () => {
  const text = renderPrometheusText(families);

  it('escapes label values and help text', () => {
    assert.equal(escapeLabelValue('plain'), 'plain');
    assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
    assert.match(text, /^demo_requests_total\{path="a\\"b\\\\c\\nd",code="200"\} 3$/m);
    assert.match(text, /^# HELP demo_requests_total Requests with "quotes" and a back\\\\slash\\nand a newline\.$/m);
    assert.match(text, /^demo_requests_total 1$/m);
  });

  it('spells special values the Prometheus way', () => {
    assert.equal(formatValue(Number.NaN), 'NaN');
    assert.equal(formatValue(Number.NEGATIVE_INFINITY), '-Inf');
    assert.equal(formatValue(1e-7), '1e-7');
    assert.match(text, /^demo_temperature_celsius NaN$/m);
    assert.match(text, /^demo_temperature_celsius\{probe="hot"\} \+Inf$/m);
    assert.match(text, /^# HELP demo_temperature_celsius demo_temperature_celsius$/m, 'empty help falls back to the name');
  });

  it('histograms: _bucket with le (cumulative, +Inf = count), _sum, _count', () => {
    const lines = text.split('\n').filter((l) => l.startsWith('demo_latency_seconds') && l.includes('route'));
    assert.deepEqual(lines, [
      'demo_latency_seconds_bucket{route="/x",le="0.1"} 2',
      'demo_latency_seconds_bucket{route="/x",le="1"} 5',
      'demo_latency_seconds_bucket{route="/x",le="+Inf"} 6',
      'demo_latency_seconds_sum{route="/x"} 3.25',
      'demo_latency_seconds_count{route="/x"} 6',
    ]);
    assert.match(text, /^demo_latency_seconds_bucket\{le="0\.1"\} 0$/m);
    assert.match(text, /^demo_latency_seconds_count 0$/m);
  });

  it('is accepted by the real promtool', { timeout: 20_000 }, () => {
    const r = promtoolCheckMetrics(text);
    assert.equal(r.status, 0, r.output);
  });

  it('promtool does reject a broken exposition (the check can fail)', { timeout: 20_000 }, () => {
    const r = promtoolCheckMetrics('# TYPE x counter\nx{a="unterminated} 1\n');
    assert.notEqual(r.status, 0);
  });

  it('JSON has the same values', () => {
    const json = renderJson(families);
    const hist = json.metrics[2].samples[0] as { buckets: { le: number | string; count: number }[]; sum: number };
    assert.deepEqual(hist.buckets, [
      { le: 0.1, count: 2 },
      { le: 1, count: 5 },
      { le: '+Inf', count: 6 },
    ]);
    assert.equal(hist.sum, 3.25);
    assert.deepEqual(json.metrics[1].samples[1], { labels: { probe: 'hot' }, value: '+Inf' });
  });
});
