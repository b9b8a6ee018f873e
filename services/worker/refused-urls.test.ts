/**
 * Names that resolve to refused addresses, through the real worker runtime: the job fails with
 * URL_NOT_ALLOWED (validation, not retried), its public error shows only scheme, host and port, and
 * nothing is contacted. DNS answers come from a resolver this test controls.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createEmbeddedBackend } from '../queue/embedded';
import { newJobRecord, type JobRecord } from '../shared/job';
import { createLocalStorage } from '../storage/local';
import { OutboundClient, type ResolvedAddress } from '../shared/outbound-client';
import { startWorkerRuntime } from './runtime';
import { deck, listenCanary, quietLogger, testConfig } from '../../test/support/worker';
import { connectionsDuring } from '../../test/support/sockets';

test('assets on names resolving to loopback, private or metadata addresses fail the job at once; webhooks to them are dropped', {
  timeout: 60_000,
}, async () => {
  const canary = (await listenCanary())!;
  const port = canary.port;
  const answers: Record<string, ResolvedAddress[]> = {
    'cdn.example.test': [{ address: '127.0.0.1', family: 4 }],
    'intranet.example.test': [{ address: '10.20.30.40', family: 4 }],
    'metadata.example.test': [{ address: '169.254.169.254', family: 4 }],
    'hooks.example.test': [{ address: '127.0.0.1', family: 4 }],
  };
  const outbound = new OutboundClient({
    allowPrivate: false,
    connectTimeoutMs: 2000,
    resolve: async (name) => answers[name] ?? Promise.reject(Object.assign(new Error('unknown'), { code: 'ENOTFOUND' })),
  });
  const { config, cleanup } = testConfig({ RENDER_ALLOW_PRIVATE_URLS: 'false', RENDER_MAX_ATTEMPTS: '3', RENDER_HEARTBEAT_MS: '200' });
  const backend = await createEmbeddedBackend(config, quietLogger);
  const webhooks: Promise<boolean>[] = [];
  let delivered: boolean[] = [];
  const worker = await startWorkerRuntime({
    backend,
    config,
    logger: quietLogger,
    storage: createLocalStorage(config.outputDir),
    outbound,
    onWebhook: (d) => webhooks.push(d),
  });
  try {
    const urls = [
      `http://cdn.example.test:${port}/private/slide.png?token=abc`,
      'http://intranet.example.test/slide.png',
      'http://metadata.example.test/latest/meta-data/iam',
    ];
    const { sockets } = await connectionsDuring(async () => {
      for (const imageUrl of urls) {
        const id = randomUUID();
        const request = deck({
          slides: [{ title: 'a', duration: 1, imageUrl }],
          webhookUrl: `http://hooks.example.test:${port}/hook/secret-path`,
        });
        await backend.store.create(newJobRecord(id, request, config.maxAttempts));
        await backend.enqueue(id, {});
        const job = await settle(() => backend.store.get(id));
        assert.equal(job.status, 'failed', imageUrl);
        assert.deepEqual(
          [job.error?.code, job.error?.category, job.error?.retryable, job.attempts],
          ['URL_NOT_ALLOWED', 'validation', false, 1],
          imageUrl,
        );
        const { host } = new URL(imageUrl);
        assert.ok(job.error?.message.includes(host), 'the message names scheme, host and port');
        assert.ok(!/slide\.png|token|meta-data/.test(job.error?.message ?? ''), `no path or query in ${job.error?.message}`);
      }
      // The webhook deliveries settle inside the window too: a refused one must not have dialled either.
      delivered = await Promise.all(webhooks);
    });
    assert.deepEqual(
      delivered,
      webhooks.map(() => false),
      'every webhook to a loopback name was refused',
    );
    assert.ok(webhooks.length >= 3);
    assert.equal(canary.hits(), 0, 'the loopback canary heard nothing');
    assert.equal(sockets, 0, 'no connection was attempted to any of these addresses');
  } finally {
    await worker.close();
    await backend.close();
    await outbound.close();
    cleanup();
    await canary.close();
  }
});

async function settle(get: () => Promise<JobRecord | null>): Promise<JobRecord> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const job = await get();
    if (job && ['completed', 'failed', 'cancelled'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job still ${job?.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
