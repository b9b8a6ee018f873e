/**
 * What OTLP log export costs, in the terms of the telemetry targets (telemetry-cost.ts): the real-render
 * and CLI-mix ratios against OTEL_SDK_DISABLED=true, measured in the same run with log export on
 * (OTEL_LOGS_EXPORTER=otlp) and off (OTEL_LOGS_EXPORTER=none, traces still exported), every process at
 * LOG_LEVEL=info (the services' default, one record per request; the other benches run at warn, where
 * the CLI mix writes no line at all). Log export may cost at most 0.02 of either ratio.
 *
 * CLI mix: disabled APIs paired round by round with APIs exporting logs and APIs not, in turn, each
 * pair loaded side by side (cliMix; two pairs of each in a full run, one in the quick run). Real renders: one disabled embedded service paired in turn
 * with one exporting logs and one not, each pair's two renders at the same moment.
 *
 * `scripts/node --import tsx bench/log-export-cost.ts [--quick]`
 */
import { type Paired, cliMix, paired, realRenders, benchEnv } from './telemetry-cost';
import { startCountingSink } from './span-sink';
import { startService, type RunningService } from '../test/support/service';
import { median } from './stats';

const QUICK = process.argv.includes('--quick');
const PLAN = QUICK
  ? { apiPairs: 1, cliCycles: 4, cliRequests: 3000, renderRounds: 4 }
  : { apiPairs: 2, cliCycles: 8, cliRequests: 6000, renderRounds: 12 };
const INFO = { LOG_LEVEL: 'info', OTEL_BLRP_SCHEDULE_DELAY: '1000' };
const LOGS_ON = { ...INFO, OTEL_LOGS_EXPORTER: 'otlp' };
const LOGS_OFF = { ...INFO, OTEL_LOGS_EXPORTER: 'none' };

const note = (...args: unknown[]) => console.error(...args);
const spread = (p: Paired) => `${Math.min(...p.ratios).toFixed(3)}–${Math.max(...p.ratios).toFixed(3)}`;
const line = (name: string, p: Paired) =>
  `${name}: ratio ${p.ratio.toFixed(3)} (pairs ${spread(p)}, n=${p.ratios.length}); CPU off [${p.off.map((x) => x.toFixed(2))}] on [${p.on.map((x) => x.toFixed(2))}]`;

/** Merges the pairs of several realRenders runs into one Paired. */
function merged(parts: Paired[]): Paired {
  const out: Paired = { on: [], off: [], ratios: [], ratio: 0 };
  for (const p of parts) {
    out.on.push(...p.on);
    out.off.push(...p.off);
    out.ratios.push(...p.ratios);
  }
  out.ratio = median(out.ratios);
  return out;
}

async function main(): Promise<void> {
  const started = performance.now();
  const sink = await startCountingSink();
  const services: RunningService[] = [];
  const start = async (p: Promise<RunningService>) => {
    const s = await p;
    services.push(s);
    return s;
  };
  try {
    const otlp = sink.url;
    // Long ready timeouts: on a shared, loaded machine a start can take over a minute.
    const embedded = (telemetry: boolean, env: Record<string, string>) =>
      startService({ entry: 'services/main.ts', telemetry, env: { ...benchEnv(otlp), ...env }, readyTimeoutMs: 600_000 });
    const startApi = (telemetry: boolean, _otlp: string, env: Record<string, string>) =>
      startService({ entry: 'services/api/main.ts', telemetry, env: { ...benchEnv(otlp), ...env }, readyTimeoutMs: 600_000 });
    // One at a time: eleven processes starting at once on a shared 2-core machine outlast any ready timeout.
    const renderOff = await start(embedded(false, INFO));
    const renderLogs = await start(embedded(true, LOGS_ON));
    const renderNoLogs = await start(embedded(true, LOGS_OFF));
    const apis: RunningService[] = [];
    for (const env of Array.from({ length: PLAN.apiPairs }, () => [LOGS_ON, LOGS_OFF]).flat())
      apis.push(await start(startApi(false, otlp, INFO)), await start(startApi(true, otlp, env)));
    const off = apis.filter((_, i) => i % 2 === 0);
    const on = apis.filter((_, i) => i % 2 === 1);
    note(`real renders: ${PLAN.renderRounds} rounds of one pair with logs and one without …`);
    const withLogs: Paired[] = [];
    const without: Paired[] = [];
    for (let i = 0; i < PLAN.renderRounds; i++) {
      // Alternating which goes first; realRenders renders once unmeasured on both sides, then the pair.
      if (i % 2 === 0) {
        withLogs.push(await realRenders(renderLogs, renderOff, 1));
        without.push(await realRenders(renderNoLogs, renderOff, 1));
      } else {
        without.push(await realRenders(renderNoLogs, renderOff, 1));
        withLogs.push(await realRenders(renderLogs, renderOff, 1));
      }
    }
    const rLogs = merged(withLogs);
    const rNoLogs = merged(without);
    // Printed at once: the CLI mix below may still fail on a loaded machine (autocannon timeouts).
    note(line('real renders, log export on ', rLogs));
    note(line('real renders, log export off', rNoLogs));
    note(`CLI mix: ${2 * PLAN.apiPairs} pairs (logs on, off, …), ${PLAN.cliCycles} cycles of ${PLAN.cliRequests} requests per process …`);
    const runs = await cliMix({ off, on }, PLAN.cliCycles, PLAN.cliRequests);
    // cliMix's rounds run its pairs in order each cycle: even pairs export logs, odd ones do not.
    const pick = (xs: typeof runs.on, logs: boolean) => xs.filter((_, i) => i % 2 === (logs ? 0 : 1));
    const cliLogs = paired(pick(runs.on, true), pick(runs.off, true));
    const cliNoLogs = paired(pick(runs.on, false), pick(runs.off, false));

    note(line('CLI mix, log export on ', cliLogs));
    note(line('CLI mix, log export off', cliNoLogs));
    const cost = (a: Paired, b: Paired) => b.ratio - a.ratio;
    console.log(
      `log export cost, CLI mix: ${cost(cliLogs, cliNoLogs).toFixed(3)} (${cliNoLogs.ratio.toFixed(3)} → ${cliLogs.ratio.toFixed(3)}; at most 0.02)`,
    );
    console.log(
      `log export cost, real renders: ${cost(rLogs, rNoLogs).toFixed(3)} (${rNoLogs.ratio.toFixed(3)} → ${rLogs.ratio.toFixed(3)}; at most 0.02)`,
    );
    note(`sink posts ${sink.posts()}; took ${((performance.now() - started) / 1000).toFixed(0)} s`);
    process.exitCode = cost(cliLogs, cliNoLogs) <= 0.02 && cost(rLogs, rNoLogs) <= 0.02 ? 0 : 1;
  } finally {
    await Promise.all(services.map((s) => s.stop().then(() => s.cleanup())));
    await sink.close();
  }
}

void main();
