/**
 * Hostile input against the real service (API + in-process worker, FFmpeg): URLs naming this host
 * in every spelling, a decompression-bomb PNG, and playlists served as images.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { bombPng, concatList, hlsPlaylist } from '../support/hostile-media';
import { startTestService, type TestApi } from '../support/embedded';
import { call, postJson } from '../support/http';
import { connectionsDuring, isLoopbackAddress } from '../support/sockets';

const config = { width: 160, height: 90, fps: 5, quality: 'low' };

/** A loopback listener that must receive nothing. */
async function canary() {
  let hits = 0;
  const server = net.createServer((s) => {
    hits++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    hits: () => hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function settle(api: TestApi, id: string): Promise<any> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await call(`${api.url}/api/jobs/${id}`);
    if (['completed', 'failed', 'cancelled'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${body.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('default settings: URLs naming this host', () => {
  let api: TestApi;
  let trap: Awaited<ReturnType<typeof canary>>;
  beforeAll(async () => {
    trap = await canary();
    api = await startTestService({ env: { RENDER_ALLOW_PRIVATE_URLS: 'false' } });
  });
  afterAll(async () => {
    await api?.close();
    await trap?.close();
  });

  test('every spelling is refused at submit with 400 URL_NOT_ALLOWED and the field path; the canary hears nothing', {
    timeout: 60_000,
  }, async () => {
    const p = trap.port;
    const hosts = [
      '127.0.0.1',
      'localhost',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '2130706433',
      '0x7f.0.0.1',
      '127.1',
      '0.0.0.0',
      '0177.0.0.1',
      '169.254.169.254',
      '10.0.0.1',
      '[fd00::1]',
    ];
    let tried = 0;
    // The API and its worker run in this process: every connection it attempts is seen here.
    const { attempted } = await connectionsDuring(async () => {
      for (const host of hosts) {
        const url = `http://${host}:${p}/x.png`;
        for (const [body, path] of [
          [{ title: 't', config, slides: [{ title: 'a', imageUrl: url }] }, 'slides.0.imageUrl'],
          [{ title: 't', config, slides: [{ title: 'a' }, { title: 'b', audioUrl: url }] }, 'slides.1.audioUrl'],
          [{ title: 't', config, slides: [{ title: 'a' }], webhookUrl: url }, 'webhookUrl'],
        ] as const) {
          const r = await postJson(`${api.url}/api/jobs`, body);
          assert.equal(r.status, 400, `${path} = ${url}`);
          assert.equal(r.body.error.code, 'URL_NOT_ALLOWED');
          assert.deepEqual(
            r.body.error.details.map((d: { path: string }) => d.path),
            [path],
          );
          tried++;
        }
      }
    });
    assert.deepEqual(
      attempted.filter((address) => !isLoopbackAddress(address)),
      [],
      'refused at submit: no connection to the private, link-local or ULA literals (only loopback dialled)',
    );
    assert.equal(trap.hits(), 0);
    assert.equal((await call(`${api.url}/healthz`)).status, 200, 'the service stays up');
    console.log(`refused ${tried} submissions naming this host`);
  });
});

describe('RENDER_ALLOW_PRIVATE_URLS=true: hostile media', () => {
  let api: TestApi;
  let assets: http.Server;
  let base: string;
  let trap: Awaited<ReturnType<typeof canary>>;
  beforeAll(async () => {
    trap = await canary();
    const bomb = bombPng();
    assert.ok(bomb.length < 150 * 1024, `bomb is ${bomb.length} bytes`);
    const routes: Record<string, [string, Buffer | string]> = {
      '/bomb.png': ['image/png', bomb],
      '/playlist.png': ['image/png', hlsPlaylist(`http://127.0.0.1:${trap.port}/segment.ts`)],
      '/concat.png': ['image/png', concatList('/etc/passwd')],
      '/playlist.mp3': ['audio/mpeg', hlsPlaylist(`http://127.0.0.1:${trap.port}/segment.ts`)],
    };
    assets = http.createServer((req, res) => {
      const route = routes[req.url ?? ''];
      if (!route) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': route[0] }).end(route[1]);
    });
    await new Promise<void>((r) => assets.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(assets.address() as net.AddressInfo).port}`;
    // Three attempts allowed, so "one attempt" below means the failure was judged not worth retrying.
    api = await startTestService({ env: { RENDER_MAX_ATTEMPTS: '3', RENDER_BACKOFF_MS: '100' } });
  });
  afterAll(async () => {
    await api?.close();
    await new Promise<void>((r) => assets?.close(() => r()));
    await trap?.close();
  });

  for (const [name, slide] of [
    ['a 30000×30000 PNG of ~100 KB', { imageUrl: '/bomb.png' }],
    ['an HLS playlist served as image/png', { imageUrl: '/playlist.png' }],
    ['a concat list served as image/png', { imageUrl: '/concat.png' }],
    ['an HLS playlist served as audio/mpeg', { audioUrl: '/playlist.mp3' }],
  ] as const) {
    test(`${name} fails the job after one attempt, category validation or resource`, { timeout: 60_000 }, async () => {
      const url = Object.values(slide)[0];
      const field = Object.keys(slide)[0];
      const { status, body } = await postJson(`${api.url}/api/jobs`, {
        title: name,
        config,
        slides: [{ title: 'x', duration: 1, [field]: `${base}${url}` }],
      });
      assert.equal(status, 202);
      const job = await settle(api, body.id);
      assert.equal(job.status, 'failed');
      assert.equal(job.attempts, 1, JSON.stringify(job.error));
      assert.ok(['validation', 'resource'].includes(job.error.category), JSON.stringify(job.error));
      assert.equal(job.error.retryable, false);
      assert.equal(trap.hits(), 0, 'FFmpeg never opened the playlist’s URL');
    });
  }
});
