import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { isFinal } from '../shared/job';
import type { PublicJob } from '../shared/job';
import { neutralise } from '../shared/text';
import { type ApiClient, ApiError } from './client';
import { EtaEstimator, ProgressPrinter } from './progress';

/** Options of `submit`. */
export interface SubmitOptions {
  follow: boolean;
  out?: string;
  pollMs?: number;
}

/** Submits a deck file; with `follow`, shows progress, downloads the MP4 and returns the exit code. */
export async function submit(api: ApiClient, deckFile: string, options: SubmitOptions): Promise<number> {
  let deck: unknown;
  try {
    deck = JSON.parse(await readFile(deckFile, 'utf8'));
  } catch (err) {
    console.error(`cannot read ${deckFile}: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const job = await api.json<PublicJob>('POST', '/api/jobs', deck);
  console.log(`submitted ${job.id} (${neutralise(job.title)})${job.traceId ? ` trace ${job.traceId}` : ''}`);
  if (!options.follow) return 0;
  const final = await follow(api, job.id, options.pollMs ?? 500);
  if (final.status === 'completed') {
    const out = options.out ?? `${job.id}.mp4`;
    await download(api, job.id, out);
    const o = final.output;
    console.log(`completed: ${out}${o ? ` (${o.width}x${o.height}, ${o.durationSeconds.toFixed(1)} s, ${o.bytes} bytes)` : ''}`);
    return 0;
  }
  if (final.status === 'failed' && final.error) {
    console.error(`failed after ${final.attempts} attempt(s): ${final.error.code} [${final.error.category}] ${final.error.message}`);
  } else {
    console.error(`job ${final.status}`);
  }
  return 1;
}

/** Polls the job until it is final, showing progress. */
export async function follow(api: ApiClient, id: string, pollMs: number): Promise<PublicJob> {
  const printer = new ProgressPrinter();
  const eta = new EtaEstimator();
  for (;;) {
    const job = await api.json<PublicJob>('GET', `/api/jobs/${id}`);
    const left = job.status === 'processing' ? eta.update(job.progress, Date.now()) : null;
    printer.show(job.status, job.stage, job.status === 'completed' ? 1 : job.progress, left);
    if (isFinal(job.status)) {
      printer.done();
      return job;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Streams the job's MP4 to `file`. */
export async function download(api: ApiClient, id: string, file: string): Promise<void> {
  const res = await api.raw('GET', `/api/jobs/${id}/output`);
  if (!res.body) throw new ApiError(res.status, 'EMPTY_BODY', 'the API sent no video');
  await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(file));
}
