import { readFileSync } from 'node:fs';
import path from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { QueueBackend } from '../../queue/contract';
import type { AdminPageConfig } from '../../shared/config';
import { SUMMARY_RANGES, type SummaryRange } from '../../shared/stats';
import { BadRequestError, QueueUnavailableError, type RenderError, UnauthorizedError } from '../../shared/errors';
import type { Auth } from '../auth';
import { invalidQuery } from '../routes/jobs';
import type { SummaryService } from '../summary-service';
import { labelsFor, pickLocale } from './i18n';
import type { PageContext } from './layout';
import { renderLoginPage, renderMessagePage } from './login-page';
import { renderMetricsPage } from './metrics-page';
import { isSameOriginPost, securityHeaders } from './security';

/** What the admin page needs: its config slice (Grafana links, heartbeat), auth, the shared aggregator and the job store. */
export interface AdminPageDeps {
  config: AdminPageConfig;
  auth: Auth;
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

/**
 * How the app's error handler shows an error on this page (set on `res.locals.errorPage`): a 401 is
 * the login form (marked failed after a wrong token), anything else a message page with its code.
 */
function errorPage(ctx: PageContext, failedLogin: boolean, error: RenderError): string {
  const t = labelsFor(ctx.locale);
  if (error.code === 'UNAUTHORIZED') return renderLoginPage(ctx, failedLogin);
  const heading = error.httpStatus >= 500 ? t.unavailable : t.badRequest;
  return renderMessagePage(ctx, heading, error.code, error.message);
}

/**
 * The `/admin` fallback page (mounted at `/admin`): `GET /metrics`, the login/logout forms and the
 * stylesheet. When `ADMIN_TOKEN` is set, the page needs the Bearer header or a login session
 * (`auth.admin`). Errors go to the app's error handler, which renders them with this page's look.
 */
export function adminPageRouter({ config, auth, summary, backend }: AdminPageDeps): Router {
  const router = Router();

  router.use(securityHeaders);
  router.use((req, res, next) => {
    // Taken here: by the time the app's error handler runs, req.baseUrl is no longer /admin.
    const ctx = contextOf(req);
    res.locals.errorPage = (error: RenderError) => {
      res.set('content-language', ctx.locale).set('vary', 'Accept-Language');
      return errorPage(ctx, req.method === 'POST', error);
    };
    next();
  });

  router.get('/static/admin.css', (_req, res) => {
    res.type('text/css').send(STYLESHEET);
  });

  router.get('/', (req, res) => res.redirect(303, `${req.baseUrl}/metrics`));

  // A login CSRF would only log the victim into this same single admin identity, but refusing it is cheap.
  const sameOrigin: express.RequestHandler = (req, _res, next) =>
    next(isSameOriginPost(req) ? undefined : new BadRequestError('CROSS_SITE_POST'));

  router.post('/login', sameOrigin, express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 5 }), (req, res) => {
    if (!auth.adminProtected) return res.redirect(303, `${req.baseUrl}/metrics`);
    if (!auth.checkAdminLogin(req.body?.token)) throw new UnauthorizedError('wrong admin token', 'admin');
    res.set('set-cookie', auth.sessionCookie(true, req.secure)).redirect(303, `${req.baseUrl}/metrics`);
  });

  router.post('/logout', sameOrigin, (req, res) => {
    res.set('set-cookie', auth.sessionCookie(false, req.secure)).redirect(303, `${req.baseUrl}/metrics`);
  });

  // Everything below needs the token when one is configured; the 401 carries the login form, never data.
  router.use(auth.admin);

  router.get('/metrics', async (req, res) => {
    const ctx = contextOf(req);
    const query = pageQuery.safeParse(req.query);
    if (!query.success) throw invalidQuery(query.error);
    const { range, refresh } = query.data;
    let data: { summary: Awaited<ReturnType<typeof summary.summary>>; recentJobs: Awaited<ReturnType<typeof backend.store.list>>['jobs'] };
    try {
      // Two bounded reads: the shared aggregator (same figures as /api/admin/summary) and one page of jobs.
      const [s, page] = await Promise.all([summary.summary(range), backend.store.list({ limit: RECENT_JOBS })]);
      data = { summary: s, recentJobs: page.jobs };
    } catch (err) {
      throw new QueueUnavailableError(err instanceof Error ? err.message : String(err), { cause: err });
    }
    const html = renderMetricsPage({
      ...ctx,
      ...data,
      range,
      refreshSeconds: refresh,
      heartbeatMs: config.heartbeatMs,
      links: { grafanaUrl: config.grafanaUrl, tempoUid: config.grafanaTempoUid },
      canLogout: auth.hasAdminSession(req),
    });
    sendHtml(res, 200, ctx, html);
  });

  return router;
}
