/**
 * The lifecycle layer of one process: the webhook outbox's dispatcher (polling for deliveries left
 * pending, also by a previous process) and the lifecycle service that publishes through it. Every
 * process that changes job statuses — the API as much as the worker — starts one.
 */
import type { QueueBackend } from '../queue/contract';
import type { Config } from '../shared/config';
import { type OutboundClient, outboundFor } from '../shared/outbound-client';
import type { OutputStorage } from '../storage/contract';
import type { Logger } from '../telemetry/logger';
import { JobLifecycle } from './lifecycle';
import type { WebhookOptions } from './webhook';
import { OutboxDispatcher } from './webhook-outbox';

export { JobLifecycle } from './lifecycle';
export type { AttemptOwner, AttemptStart, RenderResult } from './lifecycle';

/** What the layer needs; `webhook`, `outbound` and `onEvent` let tests shorten retries, resolve names and await deliveries. */
export interface JobsOptions {
  backend: QueueBackend;
  /** The slice of the config the layer reads: webhook signing, presigned URL lifetime, the outbound policy. */
  config: Readonly<
    Pick<Config, 'webhookSecret' | 'outputUrlTtlSeconds'> & { fetch: Pick<Config['fetch'], 'allowPrivateUrls' | 'connectTimeoutMs'> }
  >;
  logger: Logger;
  storage?: OutputStorage;
  webhook?: Partial<WebhookOptions>;
  outbound?: OutboundClient;
  onEvent?: (delivery: Promise<boolean>) => void;
}

/** The started layer: its lifecycle service, and `close()` (stops the dispatcher; pending deliveries stay in the outbox). */
export interface Jobs {
  lifecycle: JobLifecycle;
  close(): Promise<void>;
}

/** Starts the outbox dispatcher and the lifecycle service over `backend`. */
export function startJobs(options: JobsOptions): Jobs {
  const { backend, config, logger } = options;
  const dispatcher = new OutboxDispatcher({
    outbox: backend.outbox,
    logger,
    secret: config.webhookSecret,
    // Deliveries go through the outbound client: refused addresses stay refused for webhooks too.
    webhook: { outbound: options.outbound ?? outboundFor(config), ...options.webhook },
  });
  dispatcher.start();
  const lifecycle = new JobLifecycle({
    backend,
    events: dispatcher,
    logger,
    storage: options.storage,
    outputUrlTtlSeconds: config.outputUrlTtlSeconds,
    onEvent: options.onEvent,
  });
  return { lifecycle, close: () => dispatcher.stop() };
}
