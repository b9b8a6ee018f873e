/** The CLI against the real API with the in-process worker: submit --follow renders and downloads. */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startTestApi, type TestApi } from '../api/test-helpers';
import { freePort } from '../../test/support/ports';
import { ApiError } from './client';
import { main } from './main';

describe('render CLI', { timeout: 90_000 }, () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ worker: true, env: { RENDER_MAX_ATTEMPTS: '1' } });
  });
  afterAll(async () => {
    await api?.close();
  });

  test('submit --follow downloads the MP4 and exits 0; status of the job works', { timeout: 60_000 }, async () => {
    const deck = path.join(api.dataDir, 'deck.json');
    writeFileSync(
      deck,
      JSON.stringify({
        title: 'cli',
        slides: [{ title: 'A', duration: 1, transition: 'none' }],
        config: { width: 160, height: 120, fps: 10, quality: 'low' },
      }),
    );
    const out = path.join(api.dataDir, 'cli.mp4');
    assert.equal(await main(['submit', deck, '--follow', '--out', out, '--url', api.url]), 0);
    const bytes = readFileSync(out);
    assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp');
    const { jobs } = await (await fetch(`${api.url}/api/jobs?limit=1`)).json();
    assert.equal(jobs[0].output.bytes, bytes.length);
    assert.equal(await main(['status', jobs[0].id, '--url', api.url]), 0);
  });

  test('a failing job exits 1; API errors surface their code; bad usage exits 2', { timeout: 60_000 }, async () => {
    const deck = path.join(api.dataDir, 'unreachable-audio.json');
    const audioUrl = `http://127.0.0.1:${await freePort()}/narration.mp3`;
    writeFileSync(
      deck,
      JSON.stringify({ title: 'fails', slides: [{ audioUrl, duration: 1 }], config: { width: 160, height: 120, fps: 10 } }),
    );
    assert.equal(await main(['submit', deck, '--follow', '--url', api.url]), 1);
    await assert.rejects(
      main(['cancel', 'no-such-id', '--url', api.url]),
      (err: unknown) => err instanceof ApiError && err.code === 'JOB_NOT_FOUND',
    );
    assert.equal(await main(['frobnicate', '--url', api.url]), 2);
    assert.equal(await main(['submit', path.join(api.dataDir, 'missing.json'), '--url', api.url]), 2);
  });
});

describe('render CLI with API keys', () => {
  test('--token and RENDER_API_TOKEN authenticate; without a token the API error is UNAUTHORIZED', { timeout: 60_000 }, async () => {
    const api = await startTestApi({ worker: false, env: { RENDER_API_KEYS: 'alice:cli-token-1', ADMIN_TOKEN: 'admin-token' } });
    try {
      await assert.rejects(main(['list', '--url', api.url]), (err: unknown) => err instanceof ApiError && err.code === 'UNAUTHORIZED');
      assert.equal(await main(['list', '--url', api.url, '--token', 'cli-token-1']), 0);
      process.env.RENDER_API_TOKEN = 'cli-token-1';
      try {
        assert.equal(await main(['list', '--url', api.url]), 0);
      } finally {
        delete process.env.RENDER_API_TOKEN;
      }
    } finally {
      await api.close();
    }
  });
});
