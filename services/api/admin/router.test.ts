/** The admin page over real HTTP on the real embedded backend (no worker): auth, headers, escaping, figures, links. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import pino from 'pino';
import type { QueueBackend } from '../../queue/contract';
import { loadConfig } from '../../shared/config';
import { newJobRecord, type JobRecord } from '../../shared/job';
import { renderRequestSchema } from '../../shared/request';
import { startApi } from '../main';

const TOKEN = 'admin-page-secret';
const EVIL = '<img src=x onerror=alert(1)>';
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

/** The raw `data-value` of every figure on a page. */
function figures(page: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of page.matchAll(/data-testid="([a-z0-9-]+)" data-value="([^"]*)"/g)) out.set(m[1], m[2]);
  return out;
}

interface TestApi {
  url: string;
  backend: QueueBackend;
  close(): Promise<void>;
}

/** The real API-only process in-process on 127.0.0.1:0 over a throwaway embedded store (no worker). */
async function startTestApi(env: Record<string, string> = {}): Promise<TestApi> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-admin-'));
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', RENDER_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
  const running = await startApi(config, pino({ level: 'silent' })).catch((err: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  return {
    url: running.url,
    backend: running.backend,
    close: () => running.close().finally(() => rmSync(dataDir, { recursive: true, force: true })),
  };
}

function record(title: string, patch: Partial<JobRecord> = {}): JobRecord {
  const request = renderRequestSchema.parse({ title, slides: [{ title: 's', duration: 1 }] });
  return { ...newJobRecord(randomUUID(), request, 1), ...patch };
}

describe('/admin/metrics behind ADMIN_TOKEN', { timeout: 60_000 }, () => {
  let api: TestApi;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${api.url}${path}`, { headers, redirect: 'manual' });
  const bearer = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    api = await startTestApi({ ADMIN_TOKEN: TOKEN, GRAFANA_URL: 'http://grafana.test:3000/', GRAFANA_TEMPO_UID: 'tempo-uid' });
    const now = new Date().toISOString();
    await api.backend.store.create(record(EVIL, { traceId: TRACE_ID }));
    await api.backend.store.create(record('done', { status: 'completed', finishedAt: now, durationSeconds: 4 }));
    await api.backend.store.create(record('done 2', { status: 'completed', finishedAt: now, durationSeconds: 10 }));
    const error = { code: 'ASSET_FETCH_FAILED', category: 'network' as const, message: `fetch of <b>${EVIL}</b> failed`, retryable: false };
    await api.backend.store.create(record('broken', { status: 'failed', finishedAt: now, durationSeconds: 1, error }));
  });
  afterAll(async () => {
    await api?.close();
  });

  test('without the token: 401 with the login form, security headers, and no figures', async () => {
    const res = await get('/admin/metrics');
    const body = await res.text();
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.match(body, /data-testid="login-form"/);
    assert.equal(figures(body).size, 0);
    assert.ok(!body.includes('onerror'), 'no job data leaks into the login page');
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const d of ["default-src 'none'", "style-src 'self'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"])
      assert.ok(csp.includes(d), d);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal((await get('/admin/metrics', { authorization: 'Bearer wrong' })).status, 401);
  });

  test('with the Bearer header: the same figures as /api/admin/summary', async () => {
    const [page, json] = await Promise.all([
      get('/admin/metrics?range=1h', bearer).then((r) => r.text()),
      get('/api/admin/summary?range=1h', bearer).then((r) => r.json()),
    ]);
    const f = figures(page);
    assert.equal(f.get('jobs-total'), String(json.totals.total));
    assert.equal(json.totals.total, 4);
    for (const s of ['completed', 'failed', 'cancelled', 'queued', 'processing', 'retrying'])
      assert.equal(f.get(`jobs-${s}`), String(json.totals[s]), s);
    assert.equal(Number(f.get('success-rate')), json.successRate);
    assert.equal(Number(f.get('duration-avg')), json.duration.completed.avg);
    assert.equal(Number(f.get('duration-p95')), json.duration.completed.p95);
    assert.equal(f.get('queue-waiting'), String(json.queue.waiting));
    assert.equal(f.get('queue-reachable'), 'true');
    assert.equal(f.get('workers-count'), '0');
    assert.equal(f.get('service-state'), 'degraded', 'no worker has heartbeated: not "ONLINE"');
    assert.match(page, /data-category="network"[\s\S]*?data-testid="error-count" data-value="1"/);
  });

  test('job titles and error messages are escaped', async () => {
    const page = await (await get('/admin/metrics', bearer)).text();
    assert.ok(page.includes('&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(page.includes('fetch of &lt;b&gt;&lt;img src=x onerror=alert(1)&gt;&lt;/b&gt; failed'));
    assert.ok(!page.includes('<img'));
    assert.ok(!page.includes('<b>'));
    assert.ok(!/<script/i.test(page));
  });

  test('Grafana links: the overview dashboard and each job trace in Tempo', async () => {
    const page = await (await get('/admin/metrics', bearer)).text();
    assert.ok(page.includes('href="http://grafana.test:3000/d/render-overview"'));
    const link = /href="([^"]+)"[^>]*data-testid="trace-link"/.exec(page);
    assert.ok(link, 'a trace link');
    const url = new URL(link[1].replaceAll('&amp;', '&'));
    assert.equal(url.pathname, '/explore');
    const panes = JSON.parse(url.searchParams.get('panes')!);
    const pane = Object.values(panes)[0] as { datasource: string; queries: { query: string; datasource: { uid: string } }[] };
    assert.equal(pane.datasource, 'tempo-uid');
    assert.equal(pane.queries[0].query, TRACE_ID);
    assert.equal(pane.queries[0].datasource.uid, 'tempo-uid');
  });

  test('login form → HttpOnly session cookie without the token → page → logout', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${api.url}/admin/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      });
    const wrong = await post('token=nope');
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /data-testid="login-error"/);
    assert.equal(wrong.headers.get('set-cookie'), null);
    const crossSite = await post(`token=${TOKEN}`, { origin: 'http://evil.test' });
    assert.equal(crossSite.status, 403);
    assert.equal(crossSite.headers.get('set-cookie'), null);
    assert.equal((await post(`token=${TOKEN}`, { 'sec-fetch-site': 'cross-site', origin: 'null' })).status, 403);
    const ok = await post(`token=${encodeURIComponent(TOKEN)}`, { origin: api.url });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/admin/metrics');
    const cookie = ok.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\/admin/);
    assert.ok(!cookie.includes(TOKEN));
    const session = cookie.split(';')[0];
    const page = await get('/admin/metrics', { cookie: session });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /data-testid="logout"/);
    const forged = session.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    assert.equal((await get('/admin/metrics', { cookie: forged })).status, 401);
    const out = await fetch(`${api.url}/admin/logout`, { method: 'POST', redirect: 'manual' });
    assert.equal(out.status, 303);
    assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
  });

  test('pt-BR labels by Accept-Language; English otherwise', async () => {
    const pt = await (await get('/admin/metrics', { ...bearer, 'accept-language': 'pt-BR,pt;q=0.9' })).text();
    assert.match(pt, /<html lang="pt-BR">/);
    assert.ok(pt.includes('Taxa de sucesso'));
    const en = await (await get('/admin/metrics', { ...bearer, 'accept-language': 'de' })).text();
    assert.ok(en.includes('Success rate'));
    const login = await (await get('/admin/metrics', { 'accept-language': 'pt' })).text();
    assert.ok(login.includes('Entrar'));
  });

  test('range, refresh and bad queries', async () => {
    const page = await (await get('/admin/metrics?range=7d&refresh=30', bearer)).text();
    assert.match(page, /<meta http-equiv="refresh" content="30">/);
    assert.match(page, /data-testid="range-current">7d</);
    assert.ok(page.includes('href="/admin/metrics?range=1h&amp;refresh=30"'));
    assert.ok(!(await (await get('/admin/metrics', bearer)).text()).includes('http-equiv="refresh"'));
    for (const q of ['range=2d', 'refresh=1', 'refresh=abc', 'range=1h&range=7d']) {
      const res = await get(`/admin/metrics?${q}`, bearer);
      assert.equal(res.status, 400, q);
      assert.match(await res.text(), /data-testid="error-code">INVALID_QUERY</);
    }
  });

  test('the stylesheet is served as CSS (CSP allows only self styles)', async () => {
    const res = await get('/admin/static/admin.css');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/css/);
    assert.match(await res.text(), /\.figure/);
  });
});

describe('/admin/metrics without ADMIN_TOKEN', { timeout: 30_000 }, () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  test('is open (local development) and offers no trace links without GRAFANA_URL', async () => {
    await api.backend.store.create(record('plain', { traceId: TRACE_ID }));
    const res = await fetch(`${api.url}/admin/metrics`);
    const page = await res.text();
    assert.equal(res.status, 200);
    assert.equal(figures(page).get('jobs-total'), '1');
    assert.ok(!page.includes('data-testid="trace-link"'));
    assert.ok(!page.includes('data-testid="logout"'));
    assert.ok(page.includes(`<code>${TRACE_ID}</code>`));
  });
});
