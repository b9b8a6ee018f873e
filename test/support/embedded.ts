/** The embedded process (`services/main.ts`: API + worker) in-process, for tests that cross both (test/e2e, the CLI). */
import { startEmbedded } from '../../services/main';
import { startInProcess, type TestApi } from './in-process';

export type { TestApi };

/** Starts API and worker on 127.0.0.1:0 over a throwaway data dir; `env` on top of the test defaults. */
export function startTestService(options: { env?: Record<string, string> } = {}): Promise<TestApi> {
  return startInProcess(startEmbedded, options.env);
}
