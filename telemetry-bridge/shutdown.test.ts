import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { registerTelemetryShutdown, shutdownTelemetry } from './shutdown';

describe('telemetry shutdown handoff', () => {
  it('resolves at once when nothing registered (telemetry disabled)', async () => {
    assert.equal(await shutdownTelemetry(), undefined);
  });

  it('runs the registered flush and waits for it', async () => {
    let finished = false;
    registerTelemetryShutdown(async () => {
      await new Promise((r) => setImmediate(r));
      finished = true;
    });
    await shutdownTelemetry();
    assert.equal(finished, true);
  });

  it('never rejects, even when the flush does', async () => {
    registerTelemetryShutdown(() => Promise.reject(new Error('collector gone')));
    await assert.doesNotReject(shutdownTelemetry());
  });
});
