/** The API while the process shuts down: no new connections, in-flight requests finish, readiness fails. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startJobs } from '../jobs';
import { createEmbeddedBackend } from '../queue/embedded';
import { loadConfig } from '../shared/config';
import { createLocalStorage } from '../storage/local';
import { createApp } from './app';
import { listenApi } from './server';

const logger = pino({ level: 'silent' });

test('closing the API refuses new connections but lets an in-flight submission finish', { timeout: 30_000 }, async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-drain-api-'));
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', RENDER_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const backend = await createEmbeddedBackend(config, logger);
  const jobs = startJobs({ backend, config, logger });
  try {
    const { lifecycle } = jobs;
    const api = await listenApi({
      config,
      backend,
      lifecycle,
      logger,
      storage: createLocalStorage(config.outputDir),
      host: '127.0.0.1',
      port: 0,
    });
    const { port } = new URL(api.url);
    const body = JSON.stringify({ title: 'in flight', slides: [{ title: 'one', duration: 1 }], config: { width: 160, height: 120 } });
    // An in-flight request: headers received by the server, body not yet sent.
    const arrived = new Promise<void>((r) => api.server.once('request', () => r()));
    let send = () => {};
    const answered = new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/jobs',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.flushHeaders();
      send = () => req.end(body);
    });
    await arrived;
    const closed = api.close();
    await assert.rejects(fetch(`${api.url}/healthz`), 'no new connection is accepted while closing');
    send();
    assert.equal(await answered, 202, 'the in-flight submission was served');
    await closed;
  } finally {
    await jobs.close();
    await backend.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('/readyz answers 503 while draining, and /healthz stays 200', { timeout: 30_000 }, async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-drain-api-'));
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', RENDER_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const backend = await createEmbeddedBackend(config, logger);
  const drain = { draining: false };
  const jobs = startJobs({ backend, config, logger });
  const { lifecycle } = jobs;
  const server = http.createServer(createApp({ config, backend, lifecycle, logger, storage: createLocalStorage(config.outputDir), drain }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    drain.draining = true;
    const res = await fetch(`${url}/readyz`);
    assert.equal(res.status, 503);
    assert.match(((await res.json()) as { reason: string }).reason, /draining/);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await jobs.close();
    await backend.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
