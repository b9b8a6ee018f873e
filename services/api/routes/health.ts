import { Router } from 'express';
import type { QueueBackend } from '../../queue/contract';
import { withTimeout } from '../../shared/timeout';

/** How long readiness waits for the backend before declaring it unavailable. */
export const READY_TIMEOUT_MS = 1000;

/** Liveness (the process answers) and readiness (the queue backend answers too). */
export function healthRouter({ backend }: { backend: QueueBackend }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      // ping() is wrapped so a synchronous throw from a closed backend lands in the same catch.
      await withTimeout(
        Promise.resolve().then(() => backend.ping()),
        READY_TIMEOUT_MS,
        'queue backend ping',
      );
      res.json({ status: 'ready', backend: backend.kind });
    } catch (err) {
      res.status(503).json({ status: 'unavailable', reason: err instanceof Error ? err.message : String(err) });
    }
  });
  return router;
}
