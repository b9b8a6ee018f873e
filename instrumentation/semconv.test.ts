import assert from 'node:assert/strict';
import * as incubating from '@opentelemetry/semantic-conventions/incubating';
import { describe, it } from 'vitest';
import * as copies from './semconv';

describe('copied incubating semantic-convention names', () => {
  it('equal the published ones', () => {
    const published = incubating as unknown as Record<string, string>;
    const entries = Object.entries(copies);
    assert.ok(entries.length > 0);
    for (const [name, value] of entries) assert.equal(value, published[name], name);
  });
});
