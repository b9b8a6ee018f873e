/**
 * `npm run bench`: every bench, then bench/RESULTS.md (and bench/results.svg). The three targets
 * of the render-speed issue are measured here (telemetry-cost.ts, pipeline.ts); the older benches
 * run in their own processes and their output is kept in RESULTS.md.
 * `npm run bench -- --quick` (under 120 s) measures only the three targets and prints exactly one
 * line per target on stdout (details go to stderr); it writes no file.
 * Exit status 1 when a target is missed.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, startService, type RunningService } from '../test/support/service';
import { measurePieceCache, startCachedService, type PieceCacheResult } from './piece-cache';
import { measurePipeline, type DeckName, type PipelineResult } from './pipeline';
import { meets, ratioChart, ratioText, resultsMarkdown, type RatioLine, type Section } from './results';
import { startCountingSink } from './span-sink';
import {
  benchEnv,
  cliMix,
  type CliMixRuns,
  type CliMixSides,
  paired,
  POLLS_PER_SUBMIT,
  realRenders,
  SHORT_DECK,
  startApi,
  type Paired,
} from './telemetry-cost';

const QUICK = process.argv.includes('--quick');
const PLAN = QUICK
  ? { cliProcesses: 4, cliCycles: 8, cliRequests: 4000, renderPairs: 16, pipelinePairs: 2, otherDecks: [] as DeckName[], otherPairs: 0 }
  : {
      cliProcesses: 4,
      cliCycles: 10,
      cliRequests: 15_000,
      renderPairs: 40,
      pipelinePairs: 5,
      pieceRounds: 3,
      otherDecks: ['720p', 'narrated'] as DeckName[],
      otherPairs: 3,
    };
/** The older benches, run as they are (their own verdicts are in their output). */
const OTHER_BENCHES = [
  'bench/job-throughput.ts',
  'bench/api-throughput.ts',
  'bench/api-cost-breakdown.ts',
  'bench/metrics-scrape.ts',
  'bench/admin-summary.ts',
  'bench/admin-summary-redis.ts',
];

const note = (...args: unknown[]) => console.error(...args);

/** Sum of every sample of `metric` in a service's Prometheus exposition. */
async function metricSum(service: RunningService, metric: string): Promise<number> {
  const text = await (await fetch(`${service.url}/api/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) sum += Number(line.split(' ').at(-1));
  return sum;
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
    const embedded = (telemetry: boolean) =>
      startService({ entry: 'services/main.ts', telemetry, env: benchEnv(otlp), readyTimeoutMs: 60_000 });
    const perSide = PLAN.cliProcesses;
    const [renderOn, renderOff, ...apis] = await Promise.all([
      start(embedded(true)),
      start(embedded(false)),
      ...Array.from({ length: perSide }, () => [start(startApi(false, otlp)), start(startApi(true, otlp))]).flat(),
      ...(QUICK
        ? []
        : [
            start(startApi(true, otlp, { OTEL_TRACES_SAMPLER: 'always_on' })),
            start(startApi(true, otlp, { OTEL_TRACES_SAMPLER: 'always_on', RENDER_HTTP_SERVER_SPANS: 'stock' })),
          ]),
    ]);
    const sides: CliMixSides = {
      off: apis.filter((_, i) => i < 2 * perSide && i % 2 === 0),
      on: apis.filter((_, i) => i < 2 * perSide && i % 2 === 1),
      refs: QUICK ? {} : { alwaysOn: apis[2 * perSide], stock: apis[2 * perSide + 1] },
    };

    note(`CLI mix: ${perSide} processes per side, ${PLAN.cliCycles} cycles of ${PLAN.cliRequests} requests per process …`);
    const rps = await cliMix(sides, PLAN.cliCycles, PLAN.cliRequests);
    const cli = paired(rps.on, rps.off);
    note(
      `  req/s off [${rps.off.map((x) => x.rps.toFixed(0))}] on [${rps.on.map((x) => x.rps.toFixed(0))}]; CPU µs/req off [${cli.off.map((x) => x.toFixed(0))}] on [${cli.on.map((x) => x.toFixed(0))}] → ${cli.ratio.toFixed(3)}`,
    );

    note(`real renders: ${PLAN.renderPairs} pairs …`);
    const renders = await realRenders(renderOn, renderOff, PLAN.renderPairs);
    note(
      `  wall s off [${renders.offWall?.map((x) => x.toFixed(2))}] on [${renders.onWall?.map((x) => x.toFixed(2))}]; CPU s off [${renders.off.map((x) => x.toFixed(2))}] on [${renders.on.map((x) => x.toFixed(2))}] → ${renders.ratio.toFixed(3)}`,
    );

    note(`pipeline 1080p: ${PLAN.pipelinePairs} pairs …`);
    const [cpu0, out0] = [await metricSum(renderOn, 'render_cpu_seconds_total'), await metricSum(renderOn, 'render_output_seconds_total')];
    // The quick run's service has already rendered (real renders above), so it skips the warm-up render.
    const pipeline = await measurePipeline(renderOn, '1080p', PLAN.pipelinePairs, !QUICK, !QUICK);
    const [cpu1, out1] = [await metricSum(renderOn, 'render_cpu_seconds_total'), await metricSum(renderOn, 'render_output_seconds_total')];
    const costPerMinute = ((cpu1 - cpu0) / (out1 - out0)) * 60;
    note(
      `  s service [${pipeline.service.map((x) => x.toFixed(2))}] naive [${pipeline.naive.map((x) => x.toFixed(2))}] → ${pipeline.ratio.toFixed(3)}; cost ${costPerMinute.toFixed(1)} CPU-s per rendered minute`,
    );

    const targets: RatioLine[] = [
      { name: 'telemetry, real renders', ratio: renders.ratio, target: 0.97, higherIsBetter: true },
      { name: 'telemetry, CLI mix', ratio: cli.ratio, target: 0.88, higherIsBetter: true },
      { name: 'pipeline, service vs one-pass FFmpeg', ratio: pipeline.ratio, target: 0.4, higherIsBetter: false },
    ];
    for (const t of targets) console.log(ratioText(t));
    process.exitCode = targets.every(meets) ? 0 : 1;
    if (QUICK) {
      note(`quick run took ${((performance.now() - started) / 1000).toFixed(0)} s`);
      return;
    }

    const others: PipelineResult[] = [];
    for (const deck of PLAN.otherDecks) {
      note(`pipeline ${deck}: ${PLAN.otherPairs} pairs …`);
      others.push(await measurePipeline(renderOn, deck, PLAN.otherPairs, true));
    }
    note(`piece cache: ${PLAN.pieceRounds} rounds of a 20-slide 1080p deck (cold, unchanged, one slide changed) …`);
    const cached = await start(startCachedService());
    const pieces = await measurePieceCache(cached, PLAN.pieceRounds ?? 3);
    const pieceLines: RatioLine[] = [
      { name: 'piece cache, unchanged deck vs cold', ratio: pieces.unchangedRatio, target: 0.15, higherIsBetter: false },
      { name: 'piece cache, one slide changed vs cold', ratio: pieces.editedRatio, target: 0.25, higherIsBetter: false },
    ];
    for (const l of pieceLines) console.log(ratioText(l));
    if (!pieceLines.every(meets)) process.exitCode = 1;
    const references: RatioLine[] = [
      {
        name: 'CLI mix, full tracing (always_on)',
        ratio: paired(rps.refs.alwaysOn, rps.refsOff.alwaysOn).ratio,
        target: null,
        higherIsBetter: true,
      },
      {
        name: 'CLI mix, stock http instrumentation',
        ratio: paired(rps.refs.stock, rps.refsOff.stock).ratio,
        target: null,
        higherIsBetter: true,
      },
      ...others.map((o) => ({ name: `pipeline ${o.deck} vs one-pass`, ratio: o.ratio, target: null, higherIsBetter: false })),
      { name: 'pipeline 1080p SSIM vs one-pass', ratio: pipeline.ssim ?? Number.NaN, target: 0.98, higherIsBetter: true },
      { name: 'pipeline 1080p size vs one-pass', ratio: pipeline.sizeRatio ?? Number.NaN, target: 2, higherIsBetter: false },
    ];
    for (const r of references) console.log(ratioText(r));
    if (!references.every(meets)) process.exitCode = 1;
    console.log(`cost per rendered minute (1080p deck): ${costPerMinute.toFixed(1)} CPU-seconds`);

    const otherOutput: string[] = [];
    for (const file of OTHER_BENCHES) {
      note(`${file} …`);
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
      otherOutput.push(`### ${file}`, '', '```', `${r.stdout}${r.stderr}`.trim(), '```', '');
    }
    writeResults([...targets, ...pieceLines, ...references], rps, cli, renders, pipeline, others, pieces, costPerMinute, otherOutput);
  } finally {
    for (const s of services) {
      await s.stop();
      s.cleanup();
    }
    await sink.close();
  }
}

function writeResults(
  lines: RatioLine[],
  rps: CliMixRuns,
  cli: Paired,
  renders: Paired,
  pipeline: PipelineResult,
  others: PipelineResult[],
  pieces: PieceCacheResult,
  costPerMinute: number,
  otherOutput: string[],
): void {
  const pipelineSection = (p: PipelineResult): Section => ({
    title: `Pipeline: the ${p.deck} deck, service vs one-pass FFmpeg`,
    what: 'Six slides of 10 s (title and a two-sentence body, fade, 30 fps, `medium`), the service timed as a client sees it (POST to seeing `completed`, polling every 50 ms), the naive command as one FFmpeg run drawing every frame and encoding in one pass (same drawtext filters, preset and CRF, default threads). Pairs interleaved, the first side alternating.',
    rows: [
      { label: 'service', unit: 's', values: p.service },
      { label: 'one-pass FFmpeg', unit: 's', values: p.naive },
      { label: 'ratio per pair', unit: '', values: p.ratios },
    ],
    notes:
      p.ssim === null
        ? []
        : [`Quality against the one-pass render of the same frames: SSIM ${p.ssim.toFixed(4)}, size ×${p.sizeRatio?.toFixed(2)}.`],
  });
  const sections: Section[] = [
    {
      title: 'Telemetry: the CLI mix',
      what: `API service, each of 16 autocannon connections looping over 1 \`POST /api/jobs\` and ${POLLS_PER_SUBMIT} \`GET /api/jobs/:id\` at saturation; API process only (no worker: the jobs a round submits are cleared before the next round); OTLP export to a local counting sink. "default" is the shipped configuration (reads sampled at 0.05). The ratio is requests per CPU-second of the service (from /proc), default / disabled, ${PLAN.cliProcesses} processes per side; in each cycle disabled #k and default #k run a round of ${PLAN.cliRequests} requests at the same time, each loaded by its own autocannon; a round is a number of requests, so both sides submit as many jobs (the raw values list cycle by cycle, #1 to #${PLAN.cliProcesses}), median of the pairs; each reference runs once per cycle at the same time as one disabled process (a different one each cycle) and is paired with that round; requests/s are below for the record (on a shared machine they move with the other load, and the two processes of a pair share the CPU).`,
      rows: [
        { label: 'OTEL_SDK_DISABLED=true', unit: 'µs CPU/req', values: rps.off.map((r) => r.cpuUs) },
        { label: 'default', unit: 'µs CPU/req', values: rps.on.map((r) => r.cpuUs) },
        { label: 'OTEL_TRACES_SAMPLER=always_on', unit: 'µs CPU/req', values: rps.refs.alwaysOn.map((r) => r.cpuUs) },
        { label: 'stock http instrumentation, always_on', unit: 'µs CPU/req', values: rps.refs.stock.map((r) => r.cpuUs) },
        { label: 'default / disabled per round', unit: '', values: cli.ratios },
        { label: 'OTEL_SDK_DISABLED=true', unit: 'req/s', values: rps.off.map((r) => r.rps) },
        { label: 'default', unit: 'req/s', values: rps.on.map((r) => r.rps) },
        { label: 'OTEL_TRACES_SAMPLER=always_on', unit: 'req/s', values: rps.refs.alwaysOn.map((r) => r.rps) },
        { label: 'stock http instrumentation, always_on', unit: 'req/s', values: rps.refs.stock.map((r) => r.rps) },
      ],
    },
    {
      title: 'Telemetry: real renders',
      what: `One short real render per side and pair, the two of a pair running at the same time (${SHORT_DECK.slides.length} slides of ${SHORT_DECK.slides[0].duration} s, ${SHORT_DECK.config.width}x${SHORT_DECK.config.height}, 30 fps, fade, medium) through the embedded service; SDK on with OTLP export vs OTEL_SDK_DISABLED=true. The ratio is renders per CPU-second of the service and its FFmpeg children (from /proc), off / on per pair, median; wall times (job createdAt to finishedAt) below for the record.`,
      rows: [
        { label: 'SDK off', unit: 'CPU s', values: renders.off },
        { label: 'SDK on', unit: 'CPU s', values: renders.on },
        { label: 'off / on per pair', unit: '', values: renders.ratios },
        { label: 'SDK off', unit: 'wall s', values: renders.offWall ?? [] },
        { label: 'SDK on', unit: 'wall s', values: renders.onWall ?? [] },
      ],
    },
    pipelineSection(pipeline),
    ...others.map(pipelineSection),
    {
      title: 'Piece cache: a 20-slide 1080p deck rendered again',
      what: "Twenty 10 s text slides with fades, 1080p30, `medium`, on the embedded service with the piece cache on (its default size, local storage), timed as a client sees it. Each round renders a deck of its own cold (its pieces are new to the cache), then the same deck again, then with one slide's title changed; ratios against that round's cold render, median of the rounds.",
      rows: [
        { label: 'cold', unit: 's', values: pieces.rounds.map((r) => r.cold) },
        { label: 'unchanged', unit: 's', values: pieces.rounds.map((r) => r.unchanged) },
        { label: 'one slide changed', unit: 's', values: pieces.rounds.map((r) => r.edited) },
        { label: 'unchanged / cold', unit: '', values: pieces.rounds.map((r) => r.unchanged / r.cold) },
        { label: 'one slide changed / cold', unit: '', values: pieces.rounds.map((r) => r.edited / r.cold) },
      ],
    },
  ];
  const extra = [
    '## Cost per rendered minute',
    '',
    `${costPerMinute.toFixed(1)} CPU-seconds of FFmpeg and ffprobe per minute of 1080p video (the 1080p deck, from the service's \`render_cpu_seconds_total\` and \`render_output_seconds_total\`), on this machine.`,
    '',
    '## The other benches (raw output)',
    '',
    ...otherOutput,
  ];
  const chart = 'results.svg';
  writeFileSync(path.join(REPO_ROOT, 'bench', chart), `${ratioChart(lines)}\n`);
  writeFileSync(path.join(REPO_ROOT, 'bench', 'RESULTS.md'), resultsMarkdown('npm run bench', lines, sections, chart, extra));
  note('wrote bench/RESULTS.md and bench/results.svg');
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});
