import { test } from 'vitest';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseRenderRequest, type RenderRequest } from '../shared/request';
import { fetchStage } from './stages/fetch';
import { deck, stageContext, serveHttp } from '../../test/support/worker';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');

function load(name: string): RenderRequest {
  const result = parseRenderRequest(JSON.parse(readFileSync(path.join(EXAMPLES, name), 'utf8')));
  assert.ok(result.ok, `${name}: ${JSON.stringify(!result.ok && result.details)}`);
  return result.request;
}

test('every example deck passes validation', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 2);
  for (const file of files) load(file);
});

test('the Kubernetes deck is 3 slides at 1280x720 with one narration and no network assets', () => {
  const request = load('kubernetes-5min.json');
  assert.equal(request.slides.length, 3);
  assert.deepEqual([request.config.width, request.config.height], [1280, 720]);
  assert.equal(request.slides.filter((s) => s.narration).length, 1);
  assert.ok(request.slides.every((s) => !s.imageUrl && !s.audioUrl));
});

test('the local-image deck fetches its shipped PNG when assets/ is served on loopback', { timeout: 20_000 }, async () => {
  const request = load('local-image.json');
  const png = readFileSync(path.join(EXAMPLES, 'assets', 'k8s-traffic.png'));
  assert.ok(png.length < 20 * 1024);
  const server = await serveHttp((req, res) => {
    if (req.url !== '/k8s-traffic.png') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'image/png' }).end(png);
  });
  // Same deck, pointed at this test's ephemeral port instead of the documented 8765.
  const local = deck({
    ...request,
    slides: request.slides.map((s) => (s.imageUrl ? { ...s, imageUrl: s.imageUrl.replace('http://127.0.0.1:8765', server.url) } : s)),
  });
  const { ctx, cleanup } = stageContext(local);
  try {
    const work = await fetchStage(ctx);
    assert.deepEqual(readFileSync(work[0].assets.imagePath as string), png);
  } finally {
    cleanup();
    await server.close();
  }
});
