import { readFileSync } from 'node:fs';
import path from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { QueueBackend } from '../../queue/contract';
import type { Config } from '../../shared/config';
import { SUMMARY_RANGES, type SummaryRange } from '../../shared/stats';
import { hasBearer, secretsEqual } from '../../telemetry/metrics-http';
import type { SummaryService } from '../summary-service';
import { labelsFor, pickLocale } from './i18n';
import type { PageContext } from './layout';
import { renderLoginPage, renderMessagePage } from './login-page';
import { renderMetricsPage } from './metrics-page';
import { isSameOriginPost, securityHeaders } from './security';
import { issueSession, readCookie, sessionCookie, SESSION_COOKIE, verifySession } from './session';

/** What the admin page needs: the config (token, Grafana links), the shared aggregator and the job store. */
export interface AdminPageDeps {
  config: Readonly<Config>;
  summary: SummaryService;
  backend: QueueBackend;
}

/** How many jobs the recent-jobs table shows (one bounded store read, whatever the job count). */
export const RECENT_JOBS = 20;

const pageQuery = z.object({
  range: z.enum(Object.keys(SUMMARY_RANGES) as [SummaryRange, ...SummaryRange[]]).default('24h'),
  refresh: z.coerce.number().int().min(5).max(3600).optional(),
});

// Read once: the stylesheet is part of the code, not user data.
const STYLESHEET = readFileSync(path.join(__dirname, 'admin.css'), 'utf8');

const contextOf = (req: Request): PageContext => ({ base: req.baseUrl, locale: pickLocale(req.get('accept-language')) });

function sendHtml(res: Response, status: number, ctx: PageContext, body: string): void {
  res.status(status).set('content-language', ctx.locale).set('vary', 'Accept-Language').type('html').send(body);
}

// A login CSRF would only log the victim into this same single admin identity, but refusing it is cheap.
function refuseCrossSite(res: Response, ctx: PageContext): void {
  sendHtml(res, 403, ctx, renderMessagePage(ctx, labelsFor(ctx.locale).badRequest, 'CROSS_SITE_POST', 'cross-site form posts are refused'));
}

/**
 * The `/admin` fallback page (mounted at `/admin`): `GET /metrics`, the login/logout forms and the
 * stylesheet. When `ADMIN_TOKEN` is set, the page needs the Bearer header or a login session.
 */
export function adminPageRouter({ config, summary, backend }: AdminPageDeps): Router {
  const router = Router();
  const token = config.adminToken;
  const hasSession = (req: Request) => token !== undefined && verifySession(readCookie(req, SESSION_COOKIE), token);

  router.use(securityHeaders);

  router.get('/static/admin.css', (_req, res) => {
    res.type('text/css').send(STYLESHEET);
  });

  router.get('/', (req, res) => res.redirect(303, `${req.baseUrl}/metrics`));

  router.post('/login', express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 5 }), (req, res) => {
    const ctx = contextOf(req);
    if (!isSameOriginPost(req)) return refuseCrossSite(res, ctx);
    if (!token) return res.redirect(303, `${req.baseUrl}/metrics`);
    const provided: unknown = req.body?.token;
    if (typeof provided !== 'string' || !secretsEqual(provided.trim(), token)) {
      return sendHtml(res, 401, ctx, renderLoginPage(ctx, true));
    }
    res.set('set-cookie', sessionCookie(issueSession(token), req.secure)).redirect(303, `${req.baseUrl}/metrics`);
  });

  router.post('/logout', (req, res) => {
    const ctx = contextOf(req);
    if (!isSameOriginPost(req)) return refuseCrossSite(res, ctx);
    res.set('set-cookie', sessionCookie(null, req.secure)).redirect(303, `${req.baseUrl}/metrics`);
  });

  // Everything below needs the token when one is configured; the 401 carries the login form, never data.
  router.use((req, res, next) => {
    if (!token || hasBearer(req, token) || hasSession(req)) return next();
    const ctx = contextOf(req);
    res.set('www-authenticate', 'Bearer realm="admin"');
    sendHtml(res, 401, ctx, renderLoginPage(ctx, false));
  });

  router.get('/metrics', async (req, res) => {
    const ctx = contextOf(req);
    const t = labelsFor(ctx.locale);
    const query = pageQuery.safeParse(req.query);
    if (!query.success) {
      const what = query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      return sendHtml(res, 400, ctx, renderMessagePage(ctx, t.badRequest, 'INVALID_QUERY', `invalid query parameters: ${what}`));
    }
    const { range, refresh } = query.data;
    let data: { summary: Awaited<ReturnType<typeof summary.summary>>; recentJobs: Awaited<ReturnType<typeof backend.store.list>>['jobs'] };
    try {
      // Two bounded reads: the shared aggregator (same figures as /api/admin/summary) and one page of jobs.
      const [s, page] = await Promise.all([summary.summary(range), backend.store.list({ limit: RECENT_JOBS })]);
      data = { summary: s, recentJobs: page.jobs };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return sendHtml(res, 503, ctx, renderMessagePage(ctx, t.unavailable, 'QUEUE_UNAVAILABLE', reason));
    }
    const html = renderMetricsPage({
      ...ctx,
      ...data,
      range,
      refreshSeconds: refresh,
      heartbeatMs: config.heartbeatMs,
      links: { grafanaUrl: config.grafanaUrl, tempoUid: config.grafanaTempoUid },
      canLogout: hasSession(req),
    });
    sendHtml(res, 200, ctx, html);
  });

  return router;
}
