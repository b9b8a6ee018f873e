import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { logExporterNames, otlpProtocol, otlpTracesProtocol } from './env';

describe('otlpTracesProtocol', () => {
  it('defaults to http/protobuf, as the spec says', () => {
    assert.deepEqual(otlpTracesProtocol({}), { protocol: 'http/protobuf' });
    assert.deepEqual(otlpTracesProtocol({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: ' ', OTEL_EXPORTER_OTLP_PROTOCOL: '' }), {
      protocol: 'http/protobuf',
    });
  });

  it('takes the general variable, and the traces one over it', () => {
    assert.deepEqual(otlpTracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), { protocol: 'http/json' });
    assert.deepEqual(
      otlpTracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }),
      { protocol: 'http/protobuf' },
    );
    assert.deepEqual(
      otlpTracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: ' http/json ' }),
      { protocol: 'http/json' },
    );
  });

  it('grpc and unknown values fall back to http/protobuf with a warning naming the variable', () => {
    const grpc = otlpTracesProtocol({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' });
    assert.equal(grpc.protocol, 'http/protobuf');
    assert.match(grpc.warning ?? '', /^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="grpc": grpc is not available/);
    const odd = otlpTracesProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' });
    assert.equal(odd.protocol, 'http/protobuf');
    assert.match(odd.warning ?? '', /^OTEL_EXPORTER_OTLP_PROTOCOL="http\/xml": unknown protocol/);
  });
});

describe('log export settings', () => {
  it('OTEL_LOGS_EXPORTER: otlp by default, nothing with none', () => {
    assert.deepEqual(logExporterNames({}), ['otlp']);
    assert.deepEqual(logExporterNames({ OTEL_LOGS_EXPORTER: 'none' }), []);
    assert.deepEqual(logExporterNames({ OTEL_LOGS_EXPORTER: 'otlp, console,otlp' }), ['otlp', 'console']);
    // Each signal reads its own variable.
    assert.deepEqual(logExporterNames({ OTEL_TRACES_EXPORTER: 'none' }), ['otlp']);
  });

  it('the logs protocol reads OTEL_EXPORTER_OTLP_LOGS_PROTOCOL over the general one, not the traces one', () => {
    assert.deepEqual(otlpProtocol('LOGS', { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }), { protocol: 'http/protobuf' });
    assert.deepEqual(otlpProtocol('LOGS', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), { protocol: 'http/json' });
    assert.deepEqual(
      otlpProtocol('LOGS', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf' }),
      { protocol: 'http/protobuf' },
    );
    assert.match(
      otlpProtocol('LOGS', { OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc' }).warning ?? '',
      /^OTEL_EXPORTER_OTLP_LOGS_PROTOCOL="grpc".*exporting logs/,
    );
  });
});
