/**
 * The server's bounds, seen from a raw socket: a request whose body never finishes and one whose
 * headers never finish are answered 408 in the JSON error shape and closed within the configured
 * time; what Node's parser refuses (garbage, oversized headers) comes back as JSON too; an idle
 * keep-alive connection is closed.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTestApi, type TestApi } from '../../test/support/api';

/** Writes `chunks` on a fresh connection and collects everything until the server closes it. */
function exchange(url: string, chunks: string[], maxMs = 10_000): Promise<{ text: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(Number(port), hostname);
    let text = '';
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after ${maxMs} ms; got: ${text}`));
    }, maxMs);
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
    });
    socket.on('data', (d) => {
      text += d.toString('utf8');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(guard);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
  });
}

function parse(text: string): { status: number; headers: string; body: { error: { code: string; message: string } } } {
  const [head, body] = text.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: JSON.parse(body) };
}

describe('HTTP server bounds', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({
      env: { RENDER_HTTP_REQUEST_TIMEOUT_SECONDS: '2', RENDER_HTTP_HEADERS_TIMEOUT_SECONDS: '1', RENDER_HTTP_KEEPALIVE_SECONDS: '1' },
    });
  });
  afterAll(() => api.close());

  test('a body that never finishes: 408 REQUEST_TIMEOUT as JSON, closed within the request timeout', async () => {
    const head = 'POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"title":';
    const { text, closedAfterMs } = await exchange(api.url, [head]);
    const res = parse(text);
    assert.equal(res.status, 408);
    assert.match(res.headers, /content-type: application\/json/);
    assert.equal(res.body.error.code, 'REQUEST_TIMEOUT');
    // 2 s, checked every second: closed by 2 + 1 s (and a little scheduling slack), never left open.
    assert.ok(closedAfterMs >= 1900 && closedAfterMs < 4500, `closed after ${closedAfterMs} ms`);
  });

  test('headers that never finish: 408 within the headers timeout', async () => {
    const { text, closedAfterMs } = await exchange(api.url, ['GET /healthz HTTP/1.1\r\nHost: x\r\n']);
    assert.equal(parse(text).body.error.code, 'REQUEST_TIMEOUT');
    assert.ok(closedAfterMs < 3500, `closed after ${closedAfterMs} ms`);
  });

  test("what Node's parser refuses comes back in the JSON error shape", async () => {
    const garbage = parse((await exchange(api.url, ['NOT HTTP AT ALL\r\n\r\n'])).text);
    assert.equal(garbage.status, 400);
    assert.equal(garbage.body.error.code, 'BAD_REQUEST');
    const big = parse((await exchange(api.url, [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`])).text);
    assert.equal(big.status, 431);
    assert.equal(big.body.error.code, 'HEADERS_TOO_LARGE');
    assert.match(big.headers, /connection: close/);
  });

  test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const { text, closedAfterMs } = await exchange(api.url, ['GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n']);
    assert.match(text, /^HTTP\/1\.1 200/);
    assert.ok(closedAfterMs >= 900 && closedAfterMs < 3500, `closed after ${closedAfterMs} ms`);
  });
});
