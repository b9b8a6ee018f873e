import assert from 'node:assert/strict';
import * as incubating from '@opentelemetry/semantic-conventions/incubating';
import { describe, it } from 'vitest';
import { ATTR, INCUBATING } from './attributes';

describe('attribute names', () => {
  it('the copied incubating names are exactly the semantic-conventions ones', () => {
    const published = incubating as unknown as Record<string, string>;
    for (const [key, value] of Object.entries(INCUBATING)) assert.equal(value, published[`ATTR_${key}`], key);
  });

  it('every name is used for one key only', () => {
    const values = Object.values(ATTR);
    assert.equal(new Set(values).size, values.length);
  });
});
