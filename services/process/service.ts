/**
 * One way to assemble a process from parts over one queue backend: the embedded process (worker +
 * API), the API-only process and the worker process all open the backend, start their parts in
 * order, and stop them in reverse order before closing the backend.
 */
import { createQueueBackend } from '../queue';
import type { QueueBackend } from '../queue/contract';
import type { Config } from '../shared/config';
import type { Logger } from '../telemetry/logger';
import type { Stoppable } from './lifecycle';

/** A started process: its queue backend and how to stop everything it started. */
export interface RunningService extends Stoppable {
  config: Readonly<Config>;
  backend: QueueBackend;
}

/** Starts one part of a process on the opened backend. */
export type PartStarter<P extends Stoppable> = (backend: QueueBackend) => Promise<P>;

/**
 * Opens the backend and starts `parts` in order; `close()` stops them in reverse order, then the
 * backend. If a part fails to start, what already started is stopped before the error propagates.
 */
export async function startService<const P extends readonly Stoppable[]>(
  config: Readonly<Config>,
  logger: Logger,
  parts: { [K in keyof P]: PartStarter<P[K]> },
): Promise<RunningService & { parts: P }> {
  const backend = await createQueueBackend(config, logger);
  const started: Stoppable[] = [];
  const stopAll = async () => {
    for (const part of [...started].reverse()) await part.close();
    await backend.close();
  };
  try {
    for (const start of parts) started.push(await start(backend));
  } catch (err) {
    await stopAll();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    config,
    backend,
    parts: started as unknown as P,
    close() {
      closing ??= stopAll();
      return closing;
    },
  };
}
