/**
 * Every 401 the API answers goes through the app's one error handler: the same JSON shape (or, on
 * the admin page, the login form) with `WWW-Authenticate` naming the realm, whichever token is missing.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../shared/config';
import { createApp } from '../app';

describe('auth: one module, every 401 through the error handler', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const config = loadConfig({ RENDER_API_KEYS: 'alice:alice-key', ADMIN_TOKEN: 'admin-secret', METRICS_TOKEN: 'metrics-secret' });
    // The refusals happen before any route touches the backend or storage.
    const app = createApp({ config, backend: {} as never, storage: {} as never, logger: pino({ level: 'silent' }) });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('jobs, admin summary and metrics: 401 UNAUTHORIZED as JSON with the realm of the token wanted', async () => {
    for (const [url, realm] of [
      ['/api/jobs', 'render'],
      ['/api/jobs/x', 'render'],
      ['/api/admin/summary', 'admin'],
      ['/api/metrics', 'metrics'],
    ] as const) {
      for (const authorization of [undefined, 'Bearer wrong', 'Basic YTpi']) {
        const res = await fetch(`${base}${url}`, { headers: authorization ? { authorization } : {} });
        assert.equal(res.status, 401, url);
        assert.equal(res.headers.get('www-authenticate'), `Bearer realm="${realm}"`, url);
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/, url);
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'UNAUTHORIZED', url);
      }
    }
  });

  test('the admin page: 401 is the login form (HTML), a wrong login too; the right token opens a session', async () => {
    const page = await fetch(`${base}/admin/metrics`);
    assert.equal(page.status, 401);
    assert.equal(page.headers.get('www-authenticate'), 'Bearer realm="admin"');
    const html = await page.text();
    assert.match(html, /<form[^>]+action="\/admin\/login"/);
    const form = {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' },
    } as const;
    const wrong = await fetch(`${base}/admin/login`, { ...form, body: 'token=nope' });
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /data-testid="login-error"/);
    const right = await fetch(`${base}/admin/login`, { ...form, body: 'token=admin-secret' });
    assert.equal(right.status, 303);
    assert.match(right.headers.get('set-cookie') ?? '', /^render_admin_session=\d+\./);
    const crossSite = await fetch(`${base}/admin/login`, {
      ...form,
      headers: { ...form.headers, origin: 'http://evil.invalid' },
      body: 'token=admin-secret',
    });
    assert.equal(crossSite.status, 403);
    assert.match(await crossSite.text(), /CROSS_SITE_POST/);
  });

  test('no API source writes a 401 itself', () => {
    const dir = path.resolve(__dirname, '..');
    const offenders = (readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .filter((f) => /status\(401\)|writeHead\(401|sendHtml\(res, 401/.test(readFileSync(path.join(dir, f), 'utf8')));
    assert.deepEqual(offenders, []);
  });
});
