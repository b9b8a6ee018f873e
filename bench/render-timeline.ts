/**
 * Where a render's wall time goes: renders the pipeline bench's deck on the service (as `make
 * start` runs it, spans exported as OTLP http/json to a local sink) and prints each job's spans as
 * a timeline from its POST, so the time that is not encoding (queue pickup, stages, status writes,
 * the client's poll) is visible. No target; it explains the pipeline ratio.
 * Run: `node --import tsx bench/render-timeline.ts [renders] [1080p|720p|narrated|course20] [KEY=value …]`
 * (`course20` is bench/piece-cache.ts's 20-slide deck: its first render is cold, the next ones reuse pieces)
 * (extra KEY=value pairs go into the service's environment, e.g. RENDER_PIECE_CACHE_BYTES=0).
 */
import path from 'node:path';
import { startOtlpSink, type OtlpSink } from '../test/support/otlp-receiver';
import { startService } from '../test/support/service';
import { pieceDeck } from './piece-cache';
import { DECKS, serviceRender, type DeckName } from './pipeline';

interface RawSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
}

function spansOf(sink: OtlpSink): RawSpan[] {
  const out: RawSpan[] = [];
  for (const body of sink.bodies as { resourceSpans?: { scopeSpans?: { spans?: RawSpan[] }[] }[] }[])
    for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) out.push(...(ss.spans ?? []));
  return out;
}

async function main(): Promise<void> {
  const renders = Number(process.argv[2] ?? 3);
  const name = process.argv[3] ?? '1080p';
  const body = name === 'course20' ? pieceDeck(Date.now()) : DECKS[name as DeckName];
  const extra = Object.fromEntries(process.argv.slice(4).map((kv) => kv.split('=', 2) as [string, string]));
  const sink = await startOtlpSink(true);
  const service = await startService({
    entry: 'services/main.ts',
    telemetry: true,
    env: {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      ...extra,
    },
    readyTimeoutMs: 60_000,
  });
  try {
    for (let i = 0; i < renders; i++) {
      const postedAt = Date.now() * 1e6;
      const r = await serviceRender(service, body);
      await new Promise((res) => setTimeout(res, 1500));
      const all = spansOf(sink);
      // The traces that started after the POST: the job's, and the client's polls (skipped below).
      const traces = new Set(all.filter((s) => Number(s.startTimeUnixNano) >= postedAt - 1e9).map((s) => s.traceId));
      console.log(`render ${i + 1}: ${r.seconds.toFixed(2)} s from POST to seeing completed`);
      for (const t of traces) {
        const spans = all.filter((s) => s.traceId === t).sort((a, b) => Number(a.startTimeUnixNano) - Number(b.startTimeUnixNano));
        if (!spans.some((s) => s.name.startsWith('render '))) continue;
        for (const s of spans) {
          const start = (Number(s.startTimeUnixNano) - postedAt) / 1e9;
          const dur = (Number(s.endTimeUnixNano) - Number(s.startTimeUnixNano)) / 1e9;
          console.log(`  ${start.toFixed(3).padStart(7)} s  ${dur.toFixed(3).padStart(7)} s  ${s.name}`);
        }
      }
      sink.bodies.length = 0;
    }
  } finally {
    await service.stop();
    service.cleanup();
    await sink.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(__filename)) void main();
