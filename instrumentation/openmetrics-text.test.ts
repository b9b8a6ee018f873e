import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import type { MetricFamily } from './metric-families';
import { exemplarSuffix, MAX_EXEMPLAR_LABEL_CHARS, renderOpenMetricsText } from './openmetrics-text';
import { renderPrometheusText } from './prometheus-text';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

const families: MetricFamily[] = [
  { name: 'target_info', help: 'Target metadata', unit: '', type: 'gauge', samples: [{ labels: { service_name: 'svc' }, value: 1 }] },
  {
    name: 'demo_jobs_total',
    help: 'Jobs with "quotes", a back\\slash\nand a newline.',
    unit: '{job}',
    type: 'counter',
    samples: [
      { labels: { status: 'a"b\\c\nd' }, value: 3 },
      { labels: {}, value: 1 },
    ],
  },
  { name: 'demo_output_seconds_total', help: 'Seconds.', unit: 's', type: 'counter', samples: [{ labels: {}, value: 2.5 }] },
  { name: 'demo_memory_usage', help: 'Memory.', unit: 'By', type: 'gauge', samples: [{ labels: { type: 'rss' }, value: Number.NaN }] },
  {
    name: 'demo_duration_seconds',
    help: 'Duration.',
    unit: 's',
    type: 'histogram',
    samples: [
      {
        labels: { status: 'completed' },
        bounds: [1, 5],
        cumulative: [0, 2],
        sum: 6.5,
        count: 3,
        exemplars: [
          undefined,
          { traceId: TRACE, spanId: SPAN, value: 2.31, timestampMs: 1732560000123 },
          { traceId: TRACE, spanId: SPAN, value: 12, timestampMs: 1732560001000 },
        ],
      },
      { labels: {}, bounds: [1, 5], cumulative: [1, 1], sum: 0.5, count: 1 },
    ],
  },
];

describe('OpenMetrics text renderer', () => {
  const text = renderOpenMetricsText(families);
  const lines = text.split('\n');

  it('ends with # EOF and a newline, once', () => {
    assert.ok(text.endsWith('\n# EOF\n'), JSON.stringify(text.slice(-20)));
    assert.equal(lines.filter((l) => l === '# EOF').length, 1);
  });

  it('declares counters without _total and keeps _total on their samples', () => {
    assert.ok(lines.includes('# TYPE demo_jobs counter'));
    assert.ok(lines.includes('# HELP demo_jobs Jobs with \\"quotes\\", a back\\\\slash\\nand a newline.'));
    assert.ok(lines.includes('demo_jobs_total 1'));
    assert.equal(lines.filter((l) => l.includes('demo_jobs_total') && l.startsWith('#')).length, 0);
  });

  it('escapes label values like the text format', () => {
    assert.ok(lines.includes('demo_jobs_total{status="a\\"b\\\\c\\nd"} 3'), text);
  });

  it('adds # UNIT only where the unit is the name suffix, before # HELP', () => {
    assert.deepEqual(
      lines.slice(lines.indexOf('# TYPE demo_output_seconds counter'), lines.indexOf('# TYPE demo_output_seconds counter') + 3),
      ['# TYPE demo_output_seconds counter', '# UNIT demo_output_seconds seconds', '# HELP demo_output_seconds Seconds.'],
    );
    assert.ok(lines.includes('# UNIT demo_duration_seconds seconds'));
    assert.ok(!lines.some((l) => l.startsWith('# UNIT demo_memory_usage')), 'bytes is not a suffix of demo_memory_usage');
    assert.ok(!lines.some((l) => l.startsWith('# UNIT demo_jobs')), 'curly-brace annotations are no unit');
  });

  it('target_info is an info metric; gauges are unchanged', () => {
    assert.deepEqual(lines.slice(0, 3), ['# TYPE target info', '# HELP target Target metadata', 'target_info{service_name="svc"} 1']);
    assert.ok(lines.includes('# TYPE demo_memory_usage gauge'));
    assert.ok(lines.includes('demo_memory_usage{type="rss"} NaN'));
  });

  it('histogram buckets carry their exemplars; buckets without one and _sum/_count carry none', () => {
    const series = lines.filter((l) => l.startsWith('demo_duration_seconds') && l.includes('completed'));
    assert.deepEqual(series, [
      'demo_duration_seconds_bucket{status="completed",le="1"} 0',
      `demo_duration_seconds_bucket{status="completed",le="5"} 2 # {trace_id="${TRACE}",span_id="${SPAN}"} 2.31 1732560000.123`,
      `demo_duration_seconds_bucket{status="completed",le="+Inf"} 3 # {trace_id="${TRACE}",span_id="${SPAN}"} 12 1732560001.000`,
      'demo_duration_seconds_sum{status="completed"} 6.5',
      'demo_duration_seconds_count{status="completed"} 3',
    ]);
    assert.ok(lines.includes('demo_duration_seconds_bucket{le="1"} 1'));
    assert.ok(lines.includes('demo_duration_seconds_count 1'));
  });

  it('has exactly the sample lines of the 0.0.4 text, apart from exemplars', () => {
    const samples = (t: string) =>
      t
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.replace(/ # \{.*$/, ''));
    assert.deepEqual(samples(text), samples(renderPrometheusText(families)));
  });

  it('drops an exemplar whose label set exceeds 128 characters', () => {
    const ok = exemplarSuffix({ traceId: TRACE, spanId: SPAN, value: 1, timestampMs: 0 });
    assert.equal(ok, ` # {trace_id="${TRACE}",span_id="${SPAN}"} 1 0.000`);
    const long = 'x'.repeat(MAX_EXEMPLAR_LABEL_CHARS);
    assert.equal(exemplarSuffix({ traceId: long, spanId: SPAN, value: 1, timestampMs: 0 }), '');
    assert.equal(exemplarSuffix(undefined), '');
  });
});
