import { Router } from 'express';
import { z } from 'zod';
import { SUMMARY_RANGES, type SummaryRange } from '../../shared/stats';
import type { Auth } from '../auth';
import { queueCall } from '../queue-call';
import type { SummaryService } from '../summary-service';
import { invalidQuery } from './jobs';

const summaryQuery = z.strictObject({
  range: z.enum(Object.keys(SUMMARY_RANGES) as [SummaryRange, ...SummaryRange[]]).default('24h'),
});

/** `GET /api/admin/summary?range=…`, behind the admin token when one is configured. */
export function adminSummaryRouter({ auth, summary }: { auth: Auth; summary: SummaryService }): Router {
  const router = Router();
  router.get('/summary', auth.admin, async (req, res) => {
    const query = summaryQuery.safeParse(req.query);
    if (!query.success) throw invalidQuery(query.error);
    res.json(await queueCall(() => summary.summary(query.data.range)));
  });
  return router;
}
