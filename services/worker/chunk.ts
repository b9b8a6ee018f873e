/**
 * The chunk runner: the ChunkHandler a backend that splits jobs (Redis layout) calls for one chunk
 * of a split job. It fetches and speaks only its own slides and the next one (the rest of the deck
 * stays out of its scratch dir), encodes their pieces into the piece cache (stages/encode-chunk.ts) and returns; it
 * never writes the job's record: the status, attempts, progress and webhooks stay the job's own
 * attempt's. A chunk of a job that was cancelled, retried or taken over meanwhile does nothing.
 * Its span joins the job's trace (the carrier the splitting attempt handed over), from any worker.
 */
import os from 'node:os';
import { rm } from 'node:fs/promises';
import type { ChunkHandler, QueueBackend, QueuedChunk } from '../queue/contract';
import type { Config } from '../shared/config';
import { jobClient, type JobRecord } from '../shared/job';
import type { OutboundClient } from '../shared/outbound-client';
import type { RenderRequest } from '../shared/request';
import type { OutputStorage } from '../storage/contract';
import { ATTR } from '../telemetry/attributes';
import type { Logger } from '../telemetry/logger';
import { withCarriedSpan } from '../telemetry/tracing';
import { makeScratchDir } from './scratch';
import type { StageContext } from './stages/context';
import { encodeChunk } from './stages/encode-chunk';
import { fetchStage } from './stages/fetch';
import { ttsStage } from './stages/tts';

/** What the chunk runner needs. */
export interface ChunkHandlerDeps {
  backend: QueueBackend;
  config: Readonly<Config>;
  logger: Logger;
  storage: OutputStorage;
  outbound?: OutboundClient;
}

/**
 * The deck as a chunk sees it: its slides, and the next chunk's first slide (whose still its last
 * transition reads); the others keep their place and text but lose what would be fetched or spoken.
 */
export function chunkRequest(request: RenderRequest, chunk: { first: number; count: number }): RenderRequest {
  return {
    ...request,
    slides: request.slides.map((slide, i) =>
      i >= chunk.first && i <= chunk.first + chunk.count
        ? slide
        : { ...slide, imageUrl: undefined, audioUrl: undefined, narration: undefined },
    ),
  };
}

/** True when the chunk still belongs to the running attempt of its job. */
function current(record: JobRecord | null, chunk: QueuedChunk): record is JobRecord {
  return (
    record !== null &&
    record.status === 'processing' &&
    (record.generation ?? 0) === chunk.generation &&
    record.attemptId === chunk.attemptId
  );
}

/** Builds the ChunkHandler; it throws when the chunk failed (the backend retries it alone). */
export function createChunkHandler(deps: ChunkHandlerDeps): ChunkHandler {
  const worker = `${os.hostname()}:${process.pid}`;
  return async (chunk, signal) => {
    const record = await deps.backend.store.get(chunk.id);
    const logger = deps.logger.child({ job_id: chunk.id, chunk_first_slide: chunk.first });
    if (!current(record, chunk)) {
      logger.info('chunk skipped: its job is no longer running the attempt that split it');
      return;
    }
    const attributes = {
      [ATTR.RENDER_JOB_ID]: chunk.id,
      [ATTR.RENDER_CHUNK_FIRST]: chunk.first,
      [ATTR.RENDER_CHUNK_SLIDES]: chunk.count,
      [ATTR.RENDER_CHUNK_WORKER]: worker,
      ...(chunk.enqueuedAt === undefined
        ? {}
        : { [ATTR.RENDER_CHUNK_QUEUE_WAIT_SECONDS]: Math.max(0, (Date.now() - chunk.enqueuedAt) / 1000) }),
    };
    await withCarriedSpan('render chunk', chunk.carrier, attributes, async (span) => {
      const scratchDir = await makeScratchDir(deps.config.dataDir);
      try {
        const ctx: StageContext = {
          jobId: chunk.id,
          client: jobClient(record),
          attempt: record.attempts,
          storage: deps.storage,
          request: chunkRequest(record.request, chunk),
          config: deps.config,
          scratchDir,
          signal,
          logger,
          outbound: deps.outbound,
        };
        const work = await ttsStage(ctx, await fetchStage(ctx));
        const result = await encodeChunk(ctx, work, chunk);
        span.setAttributes({ [ATTR.RENDER_PIECES_ENCODER_RUNS]: result.encoded, [ATTR.RENDER_PIECES_REUSED]: result.reused });
        logger.info({ chunk_slides: chunk.count, encoded: result.encoded, reused: result.reused, worker }, 'chunk encoded');
      } finally {
        await rm(scratchDir, { recursive: true, force: true }).catch(() => undefined);
      }
    });
  };
}
