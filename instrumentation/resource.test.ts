import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { buildResource, stableInstanceId, uuidV5 } from './resource';

describe('service.instance.id', () => {
  it('is a UUID v5 of the process slot: the same at every start, different per host or service', () => {
    const id = stableInstanceId('worker-1', 'render-worker');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(stableInstanceId('worker-1', 'render-worker'), id);
    assert.notEqual(stableInstanceId('worker-2', 'render-worker'), id);
    assert.notEqual(stableInstanceId('worker-1', 'render-api'), id);
    assert.doesNotMatch(id, /worker/, 'the host name is not exposed');
  });

  it('uses RFC 4122 UUID v5, checked against the published uuid5(NAMESPACE_DNS, "python.org")', () => {
    assert.equal(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org'), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('two starts of the same slot build the same resource id', () => {
    const a = buildResource('services/worker/main.ts').attributes['service.instance.id'];
    assert.equal(buildResource('services/worker/main.ts').attributes['service.instance.id'], a);
    assert.notEqual(buildResource('services/api/main.ts').attributes['service.instance.id'], a);
  });
});
