/**
 * The real API process (`services/api/main.ts`, no worker) in-process, for API tests. API tests never
 * load the worker, even through a helper (test/layers.test.ts); a test that needs both is an
 * end-to-end test and uses `test/support/embedded.ts`.
 */
import { startApi } from '../../services/api/main';
import { startInProcess, type TestApi } from './in-process';

export type { TestApi };

/** Starts the API alone on 127.0.0.1:0 over a throwaway data dir; `env` on top of the test defaults. */
export function startTestApi(options: { env?: Record<string, string> } = {}): Promise<TestApi> {
  return startInProcess(startApi, options.env);
}
