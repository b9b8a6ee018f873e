/** Webhook and asset URLs in spans (ours and the undici instrumentation's) keep only scheme, host and port. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { instrumentationConfig } from '../../instrumentation/instrumentations';
import { installTestTelemetry } from '../../instrumentation/testing';
import { withSpan } from '../telemetry/tracing';
import { OutboundClient } from '../shared/outbound-client';
import { fetchAsset } from './stages/fetch';
import { deck, quietLogger, stageContext, serveHttp } from './test-support';
import { deliverWebhook } from '../jobs/webhook';

const telemetry = installTestTelemetry();
const undici = new UndiciInstrumentation(instrumentationConfig()['@opentelemetry/instrumentation-undici'] as never);
undici.enable();

test('no span attribute carries a URL path or query', { timeout: 20_000 }, async () => {
  const server = await serveHttp((_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png' }).end('x');
  });
  const outbound = new OutboundClient({ allowPrivate: true, connectTimeoutMs: 2000 });
  const { ctx, cleanup } = stageContext(deck({ slides: [{ title: 'a' }] }));
  try {
    await withSpan('test parent', {}, async () => {
      const { outcome } = await deliverWebhook(`${server.url}/hooks/T000/B000/s3cr3t?token=abc`, '{}', 'render.completed', 1, {
        logger: quietLogger,
        outbound,
      });
      assert.equal(outcome, 'delivered');
      await fetchAsset({ ...ctx, outbound }, `${server.url}/private/key-123.png?sig=zzz`, 'image', 0);
    });
    const spans = telemetry.spans();
    const clientSpans = spans.filter((s) => s.instrumentationScope.name.includes('undici'));
    assert.ok(clientSpans.length >= 2, `undici spans: ${clientSpans.length}`);
    const origin = server.url.replace(/\/$/, '');
    for (const span of spans) {
      for (const [key, value] of Object.entries(span.attributes)) {
        assert.ok(!/s3cr3t|token|key-123|sig=|\/hooks|\/private/.test(String(value)), `${span.name} ${key}=${String(value)}`);
      }
      if (span.attributes['url.full'] !== undefined) assert.equal(span.attributes['url.full'], origin, span.name);
    }
  } finally {
    cleanup();
    await outbound.close();
    await server.close();
  }
});
