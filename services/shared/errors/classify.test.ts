import { test } from 'vitest';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { classifyError, systemCode } from './classify';
import { AssetRejectedError, FfmpegError, JobCancelledError, StageTimeoutError } from './classes';

function sysError(code: string): NodeJS.ErrnoException {
  // Messages are deliberately unrelated words: classification must come from the code alone.
  return Object.assign(new Error('zzz'), { code });
}

test('network codes classify as retryable network errors, also behind fetch-style cause chains', () => {
  for (const code of ['ENOTFOUND', 'ECONNREFUSED', 'ECONNRESET', 'EAI_AGAIN']) {
    const err = classifyError(new TypeError('fetch failed', { cause: sysError(code) }));
    assert.equal(err.category, 'network', code);
    assert.equal(err.retryable, true, code);
  }
});

test('a real refused connection classifies as network', { timeout: 10_000 }, async () => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  const thrown = await fetch(`http://127.0.0.1:${port}/`).then(
    () => null,
    (e: unknown) => e,
  );
  assert.equal(systemCode(thrown), 'ECONNREFUSED');
  assert.equal(classifyError(thrown).category, 'network');
});

test('ETIMEDOUT and TimeoutError classify as timeout with the stage named', () => {
  const a = classifyError(sysError('ETIMEDOUT'), { stage: 'fetch', timeoutMs: 50 });
  assert.ok(a instanceof StageTimeoutError);
  assert.equal(a.category, 'timeout');
  assert.equal(a.stage, 'fetch');
  const b = classifyError(new DOMException('x', 'TimeoutError'), { stage: 'encode', timeoutMs: 7 });
  assert.equal(b.category, 'timeout');
  assert.equal((b as StageTimeoutError).timeoutMs, 7);
});

test('a real AbortSignal.timeout rejection classifies as timeout', { timeout: 10_000 }, async () => {
  const signal = AbortSignal.timeout(10);
  // AbortSignal.timeout's timer does not hold the event loop open; this one does.
  while (!signal.aborted) await new Promise((r) => setTimeout(r, 20));
  assert.equal(classifyError(signal.reason, { stage: 'tts', timeoutMs: 10 }).category, 'timeout');
});

test('storage codes classify as storage, including a real ENOTDIR', { timeout: 10_000 }, async () => {
  const err = classifyError(sysError('ENOSPC'));
  assert.equal(err.category, 'storage');
  assert.equal(err.code, 'STORAGE_FAILED');
  const real = await writeFile('/dev/null/nope', 'x').catch((e: unknown) => e);
  assert.equal(classifyError(real).category, 'storage');
});

test('ENOMEM and EMFILE classify as resource', () => {
  for (const code of ['ENOMEM', 'EMFILE']) assert.equal(classifyError(sysError(code)).category, 'resource', code);
});

test('AbortError means the job was cancelled', () => {
  const err = classifyError(new DOMException('whatever', 'AbortError'));
  assert.ok(err instanceof JobCancelledError);
});

test('FfmpegError is retryable after a signal kill, not after a non-zero exit', () => {
  const killed = classifyError(new FfmpegError('x', null, 'SIGKILL', ''));
  const exited = classifyError(new FfmpegError('x', 1, null, 'Invalid data'));
  assert.equal(killed.category, 'ffmpeg');
  assert.equal(killed.retryable, true);
  assert.equal(exited.category, 'ffmpeg');
  assert.equal(exited.retryable, false);
});

test('render errors pass through; unknown throws become unknown', () => {
  const rejected = new AssetRejectedError('ASSET_NOT_FOUND', 'gone');
  assert.equal(classifyError(rejected), rejected);
  assert.equal(classifyError(new Error('timeout network disk full')).category, 'unknown');
  assert.equal(classifyError('a string').category, 'unknown');
});
