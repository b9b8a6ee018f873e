/**
 * The piece cache through the real service: a deck rendered twice, the second job's encode span
 * reports every piece reused and its video has the first's frames; deleting the videos through the
 * API removes the pieces once no job of the client lists them.
 */
import { afterAll, beforeAll, test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { receivedSpans, spanAttribute, startOtlpSink, type OtlpSink } from '../support/otlp-receiver';
import { submitJob, waitForStatus } from '../support/jobs';
import { waitFor } from '../support/ports';
import { startService, type RunningService } from '../support/service';

let sink: OtlpSink;
let service: RunningService;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'piece-cache-e2e-'));

beforeAll(async () => {
  sink = await startOtlpSink(true);
  service = await startService({
    telemetry: true,
    env: {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
    readyTimeoutMs: 90_000,
  });
}, 120_000);
afterAll(async () => {
  await service?.stop();
  service?.cleanup();
  await sink?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const deck = {
  title: 'cached twice',
  slides: [
    { title: 'one', content: 'first slide', duration: 2, transition: 'fade' },
    { title: 'two', content: 'second slide', duration: 2, transition: 'fade', narration: 'two' },
  ],
  config: { width: 320, height: 180, fps: 12, quality: 'low', voice: 'en-us' },
};

async function video(id: string): Promise<string> {
  const file = path.join(scratch, `${id}.mp4`);
  writeFileSync(file, Buffer.from(await (await fetch(`${service.url}/api/jobs/${id}/output`)).arrayBuffer()));
  return execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'framemd5', '-'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
}

function encodeSpan(traceId: string) {
  return receivedSpans(sink).find((s) => s.name === 'ffmpeg encode' && s.traceId === traceId);
}

const pieceFiles = () => {
  const root = path.join(service.dataDir, 'outputs', 'pieces');
  return (readdirSync(root, { recursive: true }) as string[]).filter((f) => /\.(static|still|fade|audio|narration|track)$/.test(f));
};

test('the same deck twice: every piece reused on the second encode span, the same frames; deleting both videos empties the cache', {
  timeout: 120_000,
}, async () => {
  const first = await waitForStatus(service.url, (await submitJob(service.url, deck)).id, ['completed'], 90_000);
  const second = await waitForStatus(service.url, (await submitJob(service.url, deck)).id, ['completed'], 90_000);
  await waitFor('both encode spans', () => Boolean(encodeSpan(String(first.traceId)) && encodeSpan(String(second.traceId))), 15_000);
  const [cold, cached] = [encodeSpan(String(first.traceId)), encodeSpan(String(second.traceId))].map((s) => s as NonNullable<typeof s>);
  assert.equal(spanAttribute(cold, 'render.pieces.reused'), 0);
  const total = spanAttribute(cached, 'render.pieces.total');
  assert.equal(total, 7, '2 static pieces, 2 WAVs, fade-in, transition, fade-out');
  assert.equal(spanAttribute(cached, 'render.pieces.reused'), total);
  assert.equal(spanAttribute(cached, 'render.pieces.encoder_runs'), 0);
  assert.equal(await video(second.id), await video(first.id));

  const before = pieceFiles().length;
  assert.ok(before >= 7, `${before} pieces stored`);
  assert.equal((await fetch(`${service.url}/api/jobs/${first.id}/output`, { method: 'DELETE' })).status, 204);
  assert.equal(pieceFiles().length, before, 'the second job still lists every piece');
  assert.equal((await fetch(`${service.url}/api/jobs/${second.id}/output`, { method: 'DELETE' })).status, 204);
  assert.deepEqual(pieceFiles(), [], 'no job of the client uses them any more');
});
