/**
 * Durable webhooks: a delivery still pending when the service stops is sent after the restart, with
 * the same `X-Render-Event-Id` the receiver saw on the failed tries, so it can deduplicate.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService, type RunningService } from '../support/service';
import { waitFor } from '../support/ports';
import { submitJob, tinyDeck, waitForStatus } from '../support/jobs';

interface Seen {
  event: string;
  eventId: string;
  status: number;
}

test('a webhook pending at shutdown is delivered after the restart with the same event id', { timeout: 180_000 }, async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-outbox-'));
  const seen: Seen[] = [];
  let accepting = false;
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const status = accepting ? 200 : 503;
      seen.push({ event: (JSON.parse(body) as { event: string }).event, eventId: String(req.headers['x-render-event-id']), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  let svc: RunningService | undefined;
  try {
    svc = await startService({ dataDir });
    const job = await submitJob(svc.url, { ...tinyDeck('outbox', 1, 1), webhookUrl: hook });
    assert.equal((await waitForStatus(svc.url, job.id, ['completed', 'failed'], 60_000)).status, 'completed');
    await waitFor('a failed try of render.completed', () => seen.some((s) => s.event === 'render.completed'), 30_000);
    assert.equal(await svc.stop(), 0);
    const before = seen.filter((s) => s.event === 'render.completed');
    assert.ok(before.every((s) => s.status === 503));

    accepting = true;
    svc = await startService({ dataDir });
    await waitFor(
      'render.completed delivered after the restart',
      () => seen.some((s) => s.event === 'render.completed' && s.status === 200),
      60_000,
    );
    const delivered = seen.find((s) => s.event === 'render.completed' && s.status === 200)!;
    assert.match(delivered.eventId, /^[0-9a-f-]{36}$/);
    assert.equal(delivered.eventId, before[0]!.eventId, 'the same event id as before the restart');
    const started = seen.filter((s) => s.event === 'render.started');
    assert.equal(new Set(started.map((s) => s.eventId)).size, 1, 'every try of one event carries one id');
  } finally {
    await svc?.stop();
    await new Promise<void>((r) => receiver.close(() => r()));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
