import type { QueueBackend, QueueCounts, WorkerInfo } from '../queue/contract';
import { SLO_WINDOW_MS, type SloCounts, type SloWindow, sloCountsOf, sloStatus, type SloStatus } from '../shared/slo';
import { computeSummary, SUMMARY_RANGES, type Summary, type SummaryRange } from '../shared/stats';

/** Gathers jobs, queue figures, workers and process figures, then aggregates them with `computeSummary`. */
export class SummaryService {
  private readonly backend: QueueBackend;
  private readonly startedAt: number;

  constructor(deps: { backend: QueueBackend; startedAt?: number }) {
    this.backend = deps.backend;
    this.startedAt = deps.startedAt ?? Date.now();
  }

  /** The summary over jobs created within `range` before `now`. */
  async summary(range: SummaryRange, now: Date = new Date()): Promise<Summary> {
    // Aggregated by the store (SQL aggregates, indexes): never every job of the range on the event loop.
    const facts = await this.backend.store.summaryFacts(now.getTime() - SUMMARY_RANGES[range]);
    let queue: QueueCounts | null = null;
    let queueError: string | null = null;
    let workers: WorkerInfo[] = [];
    // An unreachable queue is what an operator most needs to see, so it is reported, not thrown.
    try {
      queue = await this.backend.counts();
      workers = await this.backend.workers();
    } catch (err) {
      queueError = err instanceof Error ? err.message : String(err);
    }
    const slo = await this.slo(now);
    const mem = process.memoryUsage();
    return computeSummary({
      range,
      now,
      backend: this.backend.kind,
      facts,
      queue,
      queueError,
      workers,
      uptimeSeconds: Math.max(0, (now.getTime() - this.startedAt) / 1000),
      memory: { rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external },
      slo,
    });
  }

  /**
   * The SLO's burn rates over its own windows, from the store's aggregates of the jobs created in
   * each (the rules count jobs finishing in each; for jobs shorter than the window these agree).
   */
  private async slo(now: Date): Promise<SloStatus> {
    const windows = Object.keys(SLO_WINDOW_MS) as SloWindow[];
    const counts = await Promise.all(
      windows.map(async (w) => sloCountsOf(await this.backend.store.summaryFacts(now.getTime() - SLO_WINDOW_MS[w]))),
    );
    return sloStatus(Object.fromEntries(windows.map((w, i) => [w, counts[i]])) as Record<SloWindow, SloCounts>);
  }
}
