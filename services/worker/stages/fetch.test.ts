import { test } from 'vitest';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { fetchAsset, fetchStage } from './fetch';
import { RenderError } from '../../shared/errors/render-error';
import { deck, stageContext, serveHttp } from '../../../test/support/worker';

import { readFileSync } from 'node:fs';
import path from 'node:path';

// A real image: the fetch stage inspects what it downloads before handing it on.
const PNG_BYTES = readFileSync(path.join(__dirname, '..', '..', '..', 'examples', 'assets', 'k8s-traffic.png'));

async function assetServer() {
  return serveHttp((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const hops = Number(url.searchParams.get('n') ?? 0);
    switch (url.pathname) {
      case '/img.png':
        res.writeHead(200, { 'content-type': 'image/png' });
        return void res.end(PNG_BYTES);
      case '/big':
        // Chunked, no content-length: the cap must hold while streaming.
        res.writeHead(200, { 'content-type': 'image/png' });
        for (let i = 0; i < 8; i++) res.write(Buffer.alloc(4096, 1));
        return void res.end();
      case '/redirect':
        res.writeHead(302, { location: hops > 0 ? `/redirect?n=${hops - 1}` : '/img.png' });
        return void res.end();
      case '/html':
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end('<html></html>');
      case '/secret':
        res.writeHead(401);
        return void res.end();
      case '/forbidden':
        res.writeHead(403);
        return void res.end();
      case '/boom':
        res.writeHead(503);
        return void res.end();
      case '/slow':
        res.writeHead(200, { 'content-type': 'image/png' });
        res.write(PNG_BYTES);
        return; // never ends: the timeout must fire
      default:
        res.writeHead(404);
        res.end();
    }
  });
}

async function failure(promise: Promise<unknown>): Promise<RenderError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof RenderError, `expected a RenderError, got ${String(err)}`);
  return err;
}

test('downloads images and audio into the scratch dir, following redirects within the limit', { timeout: 20_000 }, async () => {
  const server = await assetServer();
  const { ctx, cleanup } = stageContext(deck({ slides: [{ title: 'a', imageUrl: `${server.url}/redirect?n=2&token=abc` }] }), {
    env: { RENDER_FETCH_MAX_REDIRECTS: '3' },
  });
  try {
    const work = await fetchStage(ctx);
    assert.ok(work[0].assets.imagePath?.startsWith(ctx.scratchDir));
    assert.deepEqual(await readFile(work[0].assets.imagePath as string), PNG_BYTES);
    assert.equal(work[0].assets.audioPath, null);
  } finally {
    cleanup();
    await server.close();
  }
});

test('each asset failure maps to its code and category', { timeout: 30_000 }, async () => {
  const server = await assetServer();
  const { ctx, cleanup } = stageContext(deck({ slides: [{ title: 'a' }] }), {
    env: { RENDER_FETCH_MAX_BYTES: '16384', RENDER_FETCH_MAX_REDIRECTS: '1', RENDER_FETCH_TIMEOUT_MS: '500' },
  });
  const cases: [string, 'image' | 'audio', string, string, boolean][] = [
    ['/big', 'image', 'ASSET_TOO_LARGE', 'resource', false],
    ['/redirect?n=3', 'image', 'ASSET_REDIRECT_LIMIT', 'validation', false],
    ['/html', 'image', 'ASSET_INVALID', 'validation', false],
    ['/img.png', 'audio', 'ASSET_INVALID', 'validation', false],
    ['/missing', 'image', 'ASSET_NOT_FOUND', 'validation', false],
    ['/secret', 'image', 'ASSET_UNAUTHORIZED', 'auth', false],
    ['/forbidden', 'audio', 'ASSET_UNAUTHORIZED', 'auth', false],
    ['/boom', 'image', 'ASSET_FETCH_FAILED', 'network', true],
    ['/slow', 'image', 'STAGE_TIMEOUT', 'timeout', true],
  ];
  try {
    for (const [p, kind, code, category, retryable] of cases) {
      const err = await failure(fetchAsset(ctx, `${server.url}${p}`, kind, 0));
      assert.deepEqual([err.code, err.category, err.retryable], [code, category, retryable], p);
    }
  } finally {
    cleanup();
    await server.close();
  }
});

test('a closed port is a retryable network error', { timeout: 10_000 }, async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  const { ctx, cleanup } = stageContext(deck({ slides: [{ title: 'a' }] }));
  try {
    const err = await failure(fetchAsset(ctx, `http://127.0.0.1:${port}/a.png`, 'image', 0));
    assert.equal(err.category, 'network');
    assert.equal(err.retryable, true);
  } finally {
    cleanup();
  }
});

test('cancelling the job stops a download in progress', { timeout: 10_000 }, async () => {
  const server = await assetServer();
  const controller = new AbortController();
  const { ctx, cleanup } = stageContext(deck({ slides: [{ title: 'a' }] }), { signal: controller.signal });
  try {
    setTimeout(() => controller.abort('cancelled'), 100);
    const err = await failure(fetchAsset(ctx, `${server.url}/slow`, 'image', 0));
    assert.equal(err.code, 'JOB_CANCELLED');
  } finally {
    cleanup();
    await server.close();
  }
});
