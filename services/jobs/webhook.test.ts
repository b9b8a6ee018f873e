import { test } from 'vitest';
import assert from 'node:assert/strict';
import { newJobRecord } from '../shared/job';
import { OutboundClient } from '../shared/outbound-client';
import { sendWebhook } from './webhook';
import { verifySignature } from './webhook-signature';

// The receivers listen on loopback, which only an opted-in client may reach.
const outbound = new OutboundClient({ allowPrivate: true, connectTimeoutMs: 2000 });
import { deck, quietLogger, serveHttp } from '../worker/test-support';

test('retries after an error status and signs the exact body', { timeout: 20_000 }, async () => {
  const calls: { body: string; signature: string | undefined }[] = [];
  const server = await serveHttp(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    calls.push({ body, signature: req.headers['x-render-signature'] as string | undefined });
    res.writeHead(calls.length < 3 ? 500 : 204);
    res.end();
  });
  try {
    const job = newJobRecord('j1', deck({ webhookUrl: `${server.url}/hook?k=v`, slides: [{ title: 'a' }] }), 3);
    assert.equal(
      await sendWebhook(job, 'render.completed', { secret: 'topsecret', baseDelayMs: 10, logger: quietLogger, outbound }),
      'delivered',
    );
    assert.equal(calls.length, 3);
    assert.match(calls[2].signature ?? '', /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.ok(verifySignature(calls[2].signature, calls[2].body, 'topsecret'));
    assert.ok(!verifySignature(calls[2].signature, `${calls[2].body} `, 'topsecret'), 'a changed body must not verify');
    assert.ok(!verifySignature(calls[2].signature, calls[2].body, 'other'), 'another secret must not verify');
    const payload = JSON.parse(calls[2].body) as { event: string; job: Record<string, unknown> };
    assert.equal(payload.event, 'render.completed');
    assert.equal(payload.job.id, 'j1');
    assert.equal(payload.job.slides, 1);
    assert.ok(!('traceCarrier' in payload.job) && !('outputPath' in payload.job));
  } finally {
    await server.close();
  }
});

test('gives up quietly on an unreachable host, and sends no signature without a secret', { timeout: 20_000 }, async () => {
  const seen: (string | undefined)[] = [];
  const server = await serveHttp((req, res) => {
    seen.push(req.headers['x-render-signature'] as string | undefined);
    res.end();
  });
  const url = server.url;
  try {
    const job = newJobRecord('j2', deck({ webhookUrl: url, slides: [{ title: 'a' }] }), 3);
    assert.equal(await sendWebhook(job, 'render.started', { baseDelayMs: 10, logger: quietLogger, outbound }), 'delivered');
    assert.deepEqual(seen, [undefined]);
  } finally {
    await server.close();
  }
  const job = newJobRecord('j3', deck({ webhookUrl: url, slides: [{ title: 'a' }] }), 3);
  assert.equal(await sendWebhook(job, 'render.failed', { attempts: 2, baseDelayMs: 10, logger: quietLogger, outbound }), 'retry-later');
});

test("a receiver's 4xx ends the delivery at once; 429 waits what Retry-After asks, then succeeds", { timeout: 20_000 }, async () => {
  const rejected: number[] = [];
  const gone = await serveHttp((_req, res) => {
    rejected.push(Date.now());
    res.writeHead(404);
    res.end();
  });
  try {
    const job = newJobRecord('j4', deck({ webhookUrl: `${gone.url}/hook`, slides: [{ title: 'a' }] }), 3);
    assert.equal(await sendWebhook(job, 'render.failed', { attempts: 4, baseDelayMs: 10, logger: quietLogger, outbound }), 'permanent');
    assert.equal(rejected.length, 1, 'a 404 is not retried');
  } finally {
    await gone.close();
  }
  const seen: number[] = [];
  const busy = await serveHttp((_req, res) => {
    seen.push(Date.now());
    if (seen.length === 1) res.writeHead(429, { 'retry-after': '1' });
    else res.writeHead(204);
    res.end();
  });
  try {
    const job = newJobRecord('j5', deck({ webhookUrl: `${busy.url}/hook`, slides: [{ title: 'a' }] }), 3);
    assert.equal(await sendWebhook(job, 'render.completed', { attempts: 3, baseDelayMs: 10, logger: quietLogger, outbound }), 'delivered');
    assert.equal(seen.length, 2);
    // The backoff alone would retry after 10 ms; the receiver asked for a second.
    assert.ok(seen[1] - seen[0] >= 900, `retried after ${seen[1] - seen[0]} ms`);
  } finally {
    await busy.close();
  }
});
