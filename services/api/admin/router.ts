import { Router } from 'express';
import type { QueueBackend } from '../../queue/contract';
import type { Config } from '../../shared/config';
import type { SummaryService } from '../summary-service';

/** What the admin page needs: the config (token, Grafana links), the shared aggregator and the job store. */
export interface AdminPageDeps {
  config: Readonly<Config>;
  summary: SummaryService;
  backend: QueueBackend;
}

/** The `/admin` fallback page router (stub until the page lands). */
export function adminPageRouter(_deps: AdminPageDeps): Router {
  const router = Router();
  router.use((_req, res) => {
    res.status(503).type('text/plain').send('admin page not ready\n');
  });
  return router;
}
