import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { prometheusName, sanitizeLabelName, sanitizeMetricName, unitSuffix } from './prometheus-names';

describe('OTel → Prometheus names', () => {
  it('own-meter names stay as declared, counters get _total once', () => {
    assert.equal(prometheusName('render_jobs', '{job}', 'counter', true), 'render_jobs_total');
    assert.equal(prometheusName('render_output_video_seconds', 's', 'counter', true), 'render_output_video_seconds_total');
    assert.equal(prometheusName('system_memory_usage', 'By', 'gauge', true), 'system_memory_usage');
    assert.equal(prometheusName('already_total', '1', 'counter', true), 'already_total');
  });

  it('third-party names get dots replaced and the unit suffix', () => {
    assert.equal(prometheusName('nodejs.eventloop.delay.p99', 's', 'gauge', false), 'nodejs_eventloop_delay_p99_seconds');
    assert.equal(prometheusName('nodejs.eventloop.utilization', '1', 'gauge', false), 'nodejs_eventloop_utilization_ratio');
    assert.equal(prometheusName('nodejs.eventloop.time', 's', 'counter', false), 'nodejs_eventloop_time_seconds_total');
    assert.equal(prometheusName('v8js.memory.heap.used', 'By', 'gauge', false), 'v8js_memory_heap_used_bytes');
    assert.equal(prometheusName('v8js.resource.active', '{resource}', 'gauge', false), 'v8js_resource_active');
    assert.equal(prometheusName('http.server.request.duration', 's', 'histogram', false), 'http_server_request_duration_seconds');
    assert.equal(prometheusName('x.duration_seconds', 's', 'histogram', false), 'x_duration_seconds', 'no doubled suffix');
  });

  it('units', () => {
    assert.equal(unitSuffix('By/s', false), 'bytes_per_second');
    assert.equal(unitSuffix('1', false), '', 'ratio only for gauges');
    assert.equal(unitSuffix('{request}', false), '');
    assert.equal(unitSuffix('ms', false), 'milliseconds');
  });

  it('illegal characters and reserved prefixes', () => {
    assert.equal(sanitizeMetricName('a.b-c/d'), 'a_b_c_d');
    assert.equal(sanitizeMetricName('1abc'), '_1abc');
    assert.equal(sanitizeLabelName('http.response.status_code'), 'http_response_status_code');
    assert.equal(sanitizeLabelName('__x'), 'key__x');
    assert.equal(sanitizeLabelName('9a'), 'key_9a');
  });
});
