/**
 * One way to assemble a process: the embedded process (worker + API), the API-only process and the
 * worker process all open the same base — the queue backend, the video storage and the lifecycle
 * layer (services/jobs: the outbox dispatcher and the lifecycle service) — then start their own
 * parts by name, and stop everything in reverse order.
 */
import { startJobs, type Jobs } from '../jobs';
import { createQueueBackend } from '../queue';
import type { QueueBackend } from '../queue/contract';
import type { Config } from '../shared/config';
import { createOutputStorage } from '../storage';
import type { OutputStorage } from '../storage/contract';
import type { Logger } from '../telemetry/logger';
import { instrumentStorage } from '../telemetry/storage-telemetry';
import type { Stoppable } from './lifecycle';

/** What every process has, opened before its own parts and closed after them. */
export interface BaseParts {
  backend: QueueBackend;
  /** One video storage for worker and API. */
  storage: OutputStorage;
  /** The lifecycle layer every status change of this process goes through. */
  jobs: Jobs;
}

/** A started process: its config, its base and how to stop everything it started. */
export interface RunningService extends Stoppable, BaseParts {
  config: Readonly<Config>;
}

/** The parts a process starts on its base; `add` registers each one so `close()` stops it. */
export interface PartRegistry {
  /** Starts a part and registers it; parts stop in reverse order of registration. */
  add<P extends Stoppable>(start: () => Promise<P> | P): Promise<P>;
}

/**
 * Opens the base, then runs `startParts` (which names what it starts and returns what the process
 * exposes, e.g. its URL). `close()` stops the parts in reverse order, then the lifecycle layer,
 * the storage and the backend. If anything fails to start, what already started is stopped before
 * the error propagates.
 */
export async function startService<R extends object>(
  config: Readonly<Config>,
  logger: Logger,
  startParts: (base: BaseParts, parts: PartRegistry) => Promise<R>,
): Promise<RunningService & R> {
  const backend = await createQueueBackend(config, logger);
  // Opened in this order and closed in the reverse: the dispatcher hands back its deliveries before the backend goes.
  const started: Stoppable[] = [backend];
  const add = async <P extends Stoppable>(start: () => Promise<P> | P): Promise<P> => {
    const part = await start();
    started.push(part);
    return part;
  };
  const stopAll = async () => {
    for (const part of [...started].reverse()) await part.close();
  };
  try {
    const storage = await add(() => instrumentStorage(createOutputStorage(config.storage)));
    const jobs = await add(() => startJobs({ backend, config, logger, storage }));
    const base = { backend, storage, jobs };
    const exposed = await startParts(base, { add });
    let closing: Promise<void> | undefined;
    return {
      ...exposed,
      ...base,
      config,
      close() {
        closing ??= stopAll();
        return closing;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
