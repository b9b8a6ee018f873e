import { Router } from 'express';
import type { QueueBackend } from '../../queue/contract';
import { withTimeout } from '../../shared/timeout';
import type { OutputStorage } from '../../storage/contract';

/** Set once the process starts shutting down: readiness then fails so load balancers stop routing here. */
export interface DrainState {
  draining: boolean;
}

/** How long readiness waits for the backend before declaring it unavailable. */
export const READY_TIMEOUT_MS = 1000;

/** Liveness (the process answers) and readiness (the queue backend and the video storage answer too). */
export function healthRouter({ backend, storage, drain }: { backend: QueueBackend; storage?: OutputStorage; drain?: DrainState }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (drain?.draining) {
      res.status(503).json({ status: 'unavailable', reason: 'draining: the process is shutting down' });
      return;
    }
    try {
      // ping() is wrapped so a synchronous throw from a closed backend lands in the same catch.
      await withTimeout(
        Promise.resolve().then(() => backend.ping()),
        READY_TIMEOUT_MS,
        'queue backend ping',
      );
      // Without its storage the API cannot serve a single video: not ready, with the reason.
      if (storage) {
        await withTimeout(
          Promise.resolve()
            .then(() => storage.ping())
            .catch((err: unknown) => {
              throw new Error(`video storage unavailable: ${err instanceof Error ? err.message : String(err)}`);
            }),
          READY_TIMEOUT_MS,
          'video storage',
        );
      }
      res.json({ status: 'ready', backend: backend.kind, ...(storage ? { storage: storage.kind } : {}) });
    } catch (err) {
      res.status(503).json({ status: 'unavailable', reason: err instanceof Error ? err.message : String(err) });
    }
  });
  return router;
}
