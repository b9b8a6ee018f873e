/**
 * The /admin/metrics fallback page in a real browser (Debian's Chromium through playwright-core)
 * against the live embedded service (real SQLite, worker and FFmpeg): its figures equal
 * /api/admin/summary, refresh shows new jobs, hostile titles stay text, the token is enforced,
 * Portuguese labels follow the browser's language, and it works with JavaScript off.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { freePort } from '../support/ports';
import { REPO_ROOT, startService, type RunningService } from '../support/service';
import { submitJob, tinyDeck, waitForStatus } from '../support/jobs';

const TOKEN = 'e2e-admin-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const EVIL = '<img src=x onerror=alert(1)>';
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
const TOTALS = ['total', 'completed', 'failed', 'cancelled', 'queued', 'processing', 'retrying'] as const;

/** Every figure's raw `data-value` on the current page. */
async function figures(page: Page): Promise<Record<string, string>> {
  return page.$$eval('[data-testid][data-value]', (els) =>
    Object.fromEntries(els.map((e) => [e.getAttribute('data-testid')!, e.getAttribute('data-value')!])),
  );
}

/** Asserts the page shows exactly the summary's figures (process-level ones like memory excepted: they move). */
function assertSameFigures(f: Record<string, string>, s: any): void {
  const raw = (v: number | null) => (v === null ? '' : String(v));
  for (const k of TOTALS) assert.equal(f[`jobs-${k}`], String(s.totals[k]), `jobs-${k}`);
  assert.equal(f['success-rate'], raw(s.successRate));
  assert.equal(f['duration-avg'], raw(s.duration.completed.avg));
  assert.equal(f['duration-p95'], raw(s.duration.completed.p95));
  assert.equal(f['queue-wait-avg'], raw(s.avgQueueWaitSeconds));
  for (const k of ['waiting', 'active', 'delayed'] as const) assert.equal(f[`queue-${k}`], String(s.queue[k]), `queue-${k}`);
  assert.equal(f['queue-reachable'], String(s.service.queueReachable));
  assert.equal(f['workers-count'], String(s.service.workers.length));
}

describe('/admin/metrics in Chromium', { timeout: 240_000 }, () => {
  let svc: RunningService | undefined;
  let browser: Browser | undefined;
  const summary = async (range = '24h') =>
    (await fetch(`${svc!.url}/api/admin/summary?range=${range}`, { headers: AUTH })).json() as Promise<any>;
  const openPage = async (options: BrowserContextOptions = {}) => (await browser!.newContext(options)).newPage();

  beforeAll(async () => {
    const closedPort = await freePort();
    svc = await startService({
      env: { ADMIN_TOKEN: TOKEN, RENDER_MAX_ATTEMPTS: '1', RENDER_HEARTBEAT_MS: '500', GRAFANA_URL: `http://127.0.0.1:${closedPort}/` },
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const jobs = await Promise.all([
      submitJob(svc.url, tinyDeck('first deck')),
      submitJob(svc.url, tinyDeck(EVIL)),
      submitJob(
        svc.url,
        tinyDeck('broken audio', 1, 1, {
          slides: [{ title: 'x', duration: 1, transition: 'none', audioUrl: `http://127.0.0.1:${closedPort}/a.mp3` }],
        }),
      ),
    ]);
    for (const job of jobs) await waitForStatus(svc.url, job.id, ['completed', 'failed', 'cancelled'], 90_000);
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await svc?.stop();
    svc?.cleanup();
  });

  test('shows the same figures as /api/admin/summary, and a real service status', async () => {
    const page = await openPage({ extraHTTPHeaders: AUTH });
    const res = await page.goto(`${svc!.url}/admin/metrics`);
    assert.equal(res?.status(), 200);
    const json = await summary();
    const f = await figures(page);
    assertSameFigures(f, json);
    assert.equal(json.totals.completed, 2);
    assert.equal(json.totals.failed, 1);
    // The worker heartbeats, but one of three finished jobs failed through the service (a network
    // error, not the client's input): the SLO burns, so the page says degraded, as the alert would.
    assert.ok(Number(f['worker-last-seen']) < 30, 'the embedded worker heartbeats');
    assert.equal(json.slo.burning, true);
    assert.equal(f['service-state'], 'degraded');
    assert.match((await page.locator('[data-testid=slo-burning]').textContent()) ?? '', /14\.4× 1h\/5m/);
    assert.equal(
      await page.locator('[data-testid=error-row][data-category=network] [data-testid=error-count]').getAttribute('data-value'),
      '1',
    );
    const row = page.locator('[data-testid=job-row]', { hasText: 'first deck' });
    assert.equal(await row.getByTestId('job-status').textContent(), 'completed');
    assert.match((await row.textContent()) ?? '', /100\s?%/, 'progress is a 0–1 fraction shown as a percentage');
    // The stylesheet really applied under the CSP (no inline styles are allowed).
    assert.equal(
      await page
        .locator('.figure')
        .first()
        .evaluate((el) => getComputedStyle(el).borderTopLeftRadius),
      '6px',
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-metrics-en.png'), fullPage: true });
    await page.context().close();
  });

  test('a hostile job title is shown as text and runs nothing', async () => {
    const page = await openPage({ extraHTTPHeaders: AUTH });
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${svc!.url}/admin/metrics`);
    const titles = await page.locator('[data-testid=job-title]').allTextContents();
    assert.ok(titles.includes(EVIL), `titles: ${JSON.stringify(titles)}`);
    assert.equal(await page.locator('img').count(), 0);
    assert.deepEqual(dialogs, []);
    await page.context().close();
  });

  test('the refresh button shows a new job in the totals', async () => {
    const page = await openPage({ extraHTTPHeaders: AUTH });
    await page.goto(`${svc!.url}/admin/metrics?range=1h`);
    const before = await figures(page);
    const job = await submitJob(svc!.url, tinyDeck('added later'));
    await waitForStatus(svc!.url, job.id, ['completed', 'failed'], 60_000);
    await Promise.all([page.waitForURL(/\/admin\/metrics\?range=1h$/), page.getByTestId('refresh').click()]);
    const after = await figures(page);
    assert.equal(Number(after['jobs-total']), Number(before['jobs-total']) + 1);
    assert.equal(Number(after['jobs-completed']), Number(before['jobs-completed']) + 1);
    assertSameFigures(after, await summary('1h'));
    assert.equal(await page.getByTestId('range-current').textContent(), '1h');
    await page.context().close();
  });

  test('without the token: 401 and the login form, no figures; the form logs in; logout logs out', async () => {
    const page = await openPage();
    const res = await page.goto(`${svc!.url}/admin/metrics`);
    assert.equal(res?.status(), 401);
    assert.equal(await page.locator('[data-value]').count(), 0);
    assert.ok(!(await page.content()).includes('first deck'));
    await page.fill('#token', 'wrong-token');
    const [refused] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/login')), page.click('button[type=submit]')]);
    assert.equal(refused.status(), 401);
    await page.waitForURL(/\/admin\/login$/);
    assert.equal(await page.getByTestId('login-error').count(), 1);
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(/\/admin\/metrics$/), page.click('button[type=submit]')]);
    assert.ok((await figures(page))['jobs-total']);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'render_admin_session');
    assert.ok(session?.httpOnly && session.sameSite === 'Strict' && session.path === '/admin');
    assert.ok(!session.value.includes(TOKEN));
    await Promise.all([page.waitForURL(/\/admin\/metrics$/), page.getByTestId('logout').click()]);
    assert.equal(await page.locator('[data-value]').count(), 0);
    assert.equal(await page.locator('#token').count(), 1);
    await page.context().close();
  });

  test('pt-BR labels for a Portuguese browser, usable with JavaScript off', async () => {
    const page = await openPage({ locale: 'pt-BR', extraHTTPHeaders: AUTH, javaScriptEnabled: false });
    await page.goto(`${svc!.url}/admin/metrics?refresh=30`);
    assert.equal(await page.getAttribute('html', 'lang'), 'pt-BR');
    assert.match((await page.locator('h1').textContent()) ?? '', /métricas/);
    assert.equal(await page.getByText('Taxa de sucesso').count(), 1);
    assert.equal(await page.getByTestId('refresh').textContent(), 'Atualizar');
    const completedBadge = page.locator('[data-testid="job-status"][data-status="completed"]').first();
    assert.equal(await completedBadge.textContent(), 'concluído', 'job statuses are translated too');
    assert.equal(await page.locator('meta[http-equiv=refresh]').getAttribute('content'), '30');
    await Promise.all([page.waitForURL(/range=24h&refresh=30$/), page.getByTestId('refresh').click()]);
    assertSameFigures(await figures(page), await summary());
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-metrics-pt-BR.png'), fullPage: true });
    await page.context().close();
  });
});
