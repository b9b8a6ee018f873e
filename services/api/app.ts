import express from 'express';
import type { JobLifecycle } from '../jobs';
import type { QueueBackend } from '../queue/contract';
import type { OutputStorage } from '../storage/contract';
import type { Config } from '../shared/config';
import { LIMITS } from '../shared/request';
import { serviceVersion } from '../shared/version';
import type { Logger } from '../telemetry/logger';
import { metricsRequestHandler } from '../telemetry/metrics-http';
import { adminPageRouter } from './admin/router';
import { loadApiKeys } from './api-keys';
import { authenticateClient } from './client-auth';
import { assertSafeExposure } from './protected-mode';
import { SubmitLimits } from './submit-limits';
import { errorHandler, notFound } from './errors';
import { openApiDocument } from './openapi';
import { requestLog } from './request-log';
import { requestMetrics } from './request-metrics';
import { adminSummaryRouter } from './routes/admin-summary';
import { healthRouter, type DrainState } from './routes/health';
import { jobActionsRouter } from './routes/job-actions';
import { jobOutputRouter } from './routes/job-output';
import { jobsRouter } from './routes/jobs';
import { SummaryService } from './summary-service';

/** What the app needs; the caller owns the backend's lifecycle. */
export interface AppDeps {
  config: Readonly<Config>;
  backend: QueueBackend;
  /** The process's lifecycle service (services/jobs): submit, cancel and retry go through it; the caller owns it. */
  lifecycle: JobLifecycle;
  logger: Logger;
  /** Where finished videos are read from; the caller owns it too. */
  storage: OutputStorage;
  /** Shutdown state for `/readyz` (set by the listening server). */
  drain?: DrainState;
}

/** The render API as an Express 5 app (not listening; see server.ts). */
export function createApp({ config, backend, lifecycle, logger, storage, drain }: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Behind a proxy the client address comes from X-Forwarded-For; only loopback proxies are trusted.
  app.set('trust proxy', 'loopback');
  const summary = new SummaryService({ backend });
  const keys = loadApiKeys(config, logger);
  // Protected mode: an exposed API without keys does not start (the error names RENDER_API_KEYS).
  assertSafeExposure(config, keys);
  const limits = new SubmitLimits(config.limits, backend);

  app.use(requestMetrics());
  app.use(requestLog(logger));
  app.use(express.json({ limit: LIMITS.maxBodyBytes }));
  app.use(healthRouter({ backend, storage, drain }));
  const openApi = openApiDocument(serviceVersion());
  app.get('/api/openapi.json', (_req, res) => void res.json(openApi));
  app.get('/api/metrics', metricsRequestHandler({ token: config.metricsToken }));
  app.use('/api/admin', adminSummaryRouter({ adminToken: config.adminToken, summary }));
  app.use('/api/jobs', authenticateClient(keys));
  app.use('/api/jobs', jobsRouter({ config, backend, lifecycle, limits }));
  app.use('/api/jobs', jobActionsRouter({ config, backend, lifecycle, limits }));
  app.use('/api/jobs', jobOutputRouter({ backend, config, storage }));
  app.use('/admin', adminPageRouter({ config, summary, backend }));
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
