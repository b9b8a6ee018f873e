import { Router } from 'express';
import type { QueueBackend } from '../../queue/contract';

/** Set once the process starts shutting down: readiness then fails so load balancers stop routing here. */
export interface DrainState {
  draining: boolean;
}

/** How long readiness waits for the backend before declaring it unavailable. */
export const READY_TIMEOUT_MS = 1000;

/** Resolves when `ping` does, rejects after `ms` otherwise. */
function withTimeout(ping: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`queue backend did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([ping, timeout]).finally(() => clearTimeout(timer));
}

/** Liveness (the process answers) and readiness (the queue backend answers too). */
export function healthRouter({ backend, drain }: { backend: QueueBackend; drain?: DrainState }): Router {
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
      );
      res.json({ status: 'ready', backend: backend.kind });
    } catch (err) {
      res.status(503).json({ status: 'unavailable', reason: err instanceof Error ? err.message : String(err) });
    }
  });
  return router;
}
