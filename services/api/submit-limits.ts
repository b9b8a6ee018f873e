/**
 * Limits on what one client may put on the queue: a submission rate per client
 * (RENDER_SUBMIT_RATE_PER_MINUTE, a rate-limiter-flexible counter: in Redis when the backend is Redis,
 * so every API process shares it, in memory for the embedded backend's single process), a cap on
 * the client's jobs queued or running (RENDER_MAX_ACTIVE_JOBS_PER_CLIENT) and a global cap on waiting
 * jobs (RENDER_MAX_QUEUED_JOBS, 503 QUEUE_FULL). Benchmarks and load tests raise them through the
 * same variables.
 */
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { QueueBackend } from '../queue/contract';
import type { LimitsConfig } from '../shared/config';
import { QueueFullError, RateLimitedError } from '../shared/errors';
import { clientLock, type ClientLock } from './client-lock';
import { queueCall } from './queue-call';

/** The limits of one API process. */
export class SubmitLimits {
  private readonly limiter: RateLimiterAbstract;
  private readonly lock: ClientLock;

  constructor(
    private readonly limits: LimitsConfig,
    private readonly backend: QueueBackend,
  ) {
    const rate = { points: limits.submitPerMinute, duration: 60 };
    const shared = backend.sharedState;
    // While Redis does not answer, each process limits on its own (insurance) rather than refuse every submission.
    this.limiter = shared
      ? new RateLimiterRedis({
          ...rate,
          storeClient: shared.redis,
          keyPrefix: shared.submitRatePrefix,
          insuranceLimiter: new RateLimiterMemory(rate),
        })
      : new RateLimiterMemory(rate);
    this.lock = clientLock(backend);
  }

  /** Counts one submission by `client`; throws RATE_LIMITED (with the wait) when over the rate. */
  async takeSubmission(client: string): Promise<void> {
    try {
      await this.limiter.consume(client, 1);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      throw new RateLimitedError(
        'RATE_LIMITED',
        `more than ${this.limits.submitPerMinute} submissions a minute; try again later`,
        Math.ceil(res.msBeforeNext / 1000),
      );
    }
  }

  /**
   * Checks the caps and runs `create` as one step per client (every API process included), so two
   * submissions can never both take the last place under RENDER_MAX_ACTIVE_JOBS_PER_CLIENT.
   */
  async withRoom<T>(client: string, create: () => Promise<T>): Promise<T> {
    return this.lock(client, async () => {
      await this.checkRoom(client);
      return create();
    });
  }

  /** Throws TOO_MANY_ACTIVE_JOBS or QUEUE_FULL when one more job for `client` would go over a cap. */
  async checkRoom(client: string): Promise<void> {
    const [active, counts] = await Promise.all([
      queueCall(() => this.backend.store.countActive(client)),
      queueCall(() => this.backend.counts()),
    ]);
    if (active >= this.limits.maxActivePerClient) {
      throw new RateLimitedError(
        'TOO_MANY_ACTIVE_JOBS',
        `${active} of your jobs are queued or running (the limit is ${this.limits.maxActivePerClient}); wait for some to finish`,
        30,
      );
    }
    if (counts.waiting + counts.delayed >= this.limits.maxQueued) throw new QueueFullError();
  }
}
