/**
 * The registry is the only list of error codes: every class takes its facts from it, no source file
 * writes an error body or an error code of its own, and the README's tables are produced from it
 * (`test/readme-tables.test.ts`); the OpenAPI document is checked against it in `api/openapi.test.ts`.
 */
import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CATEGORIES } from './categories';
import * as errors from './index';
import { ERROR_CODES, ERRORS, formatMessage, HTTP_ERROR_CODES, isErrorCode, JOB_ERROR_CODES } from './registry';

const ROOT = path.resolve(__dirname, '../../..');

/** Non-test TypeScript under services/ (relative paths). */
function serviceSources(): string[] {
  return (readdirSync(path.join(ROOT, 'services'), { recursive: true }) as string[])
    .map((f) => path.posix.join('services', f.split(path.sep).join('/')))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
}

describe('error registry', () => {
  test('every entry is well formed: a 4xx/5xx status, a known category, a message and a meaning', () => {
    for (const code of ERROR_CODES) {
      const spec = ERRORS[code];
      assert.match(code, /^[A-Z][A-Z0-9_]+$/);
      assert.ok(spec.status >= 400 && spec.status < 600, code);
      assert.ok((ERROR_CATEGORIES as readonly string[]).includes(spec.category), code);
      assert.ok(spec.message.length > 0 && spec.doc.length > 0, code);
    }
    assert.ok(HTTP_ERROR_CODES.includes('INVALID_PATH'));
    assert.ok(JOB_ERROR_CODES.includes('WORKER_LOST') && !HTTP_ERROR_CODES.includes('WORKER_LOST'));
    assert.equal(isErrorCode('NOT_A_CODE'), false);
  });

  test('templates are filled in order; free-text codes take the text; no text falls back to the meaning', () => {
    assert.equal(formatMessage('NOT_FOUND', ['GET', '/x']), 'no route for GET /x');
    assert.equal(formatMessage('STAGE_TIMEOUT', ['fetch', 50]), 'stage fetch exceeded its 50 ms limit');
    assert.equal(formatMessage('JOB_NOT_RETRYABLE', ['job a is queued']), 'job a is queued');
    assert.equal(formatMessage('OUTPUT_NOT_FOUND'), "a completed job's video is no longer stored");
  });

  test('every named class takes status, category and retryable from the table', () => {
    const samples: errors.RenderError[] = [
      new errors.BadRequestError('PAYLOAD_TOO_LARGE', 10),
      new errors.ValidationFailedError([]),
      new errors.UrlNotAllowedError(),
      new errors.UnauthorizedError(),
      new errors.JobNotFoundError('x'),
      new errors.JobStateError('JOB_NOT_COMPLETED', 'no'),
      new errors.OutputNotFoundError('gone'),
      new errors.RateLimitedError('RATE_LIMITED', 'slow down', 3),
      new errors.QueueFullError(),
      new errors.QueueUnavailableError(),
      new errors.StorageUnavailableError(),
      new errors.StorageError('disk'),
      new errors.InternalError(),
      new errors.AssetRejectedError('DECK_TOO_LONG', 'long'),
      new errors.AssetFetchError('net'),
      new errors.AssetAuthError('403'),
      new errors.ResourceExhaustedError('TOOL_MISSING', 'no ffmpeg', false),
      new errors.StageTimeoutError('encode', 5),
      new errors.FfmpegError('exit 1', 1, null, ''),
      new errors.OutputMismatchError('short'),
      new errors.TtsError('voice'),
      new errors.WorkerLostError('died'),
      new errors.JobCancelledError(),
    ];
    for (const e of samples) {
      const spec = ERRORS[e.code];
      assert.equal(e.httpStatus, spec.status, e.code);
      assert.equal(e.category, spec.category, e.code);
      assert.equal(e.retryable, spec.retryable, e.code);
      assert.ok(e.message.length > 0, e.code);
    }
    assert.equal(new errors.BadRequestError('PAYLOAD_TOO_LARGE', 10).message, 'the request body exceeds 10 bytes');
    assert.equal(new errors.WorkerLostError('died').message, "the job's worker stopped while running it too many times: died");
    // Per-instance retryable where the table says it depends.
    assert.equal(new errors.FfmpegError('killed', null, 'SIGKILL', '').retryable, true);
    assert.equal(new errors.StorageError('denied', 'AccessDenied', { retryable: false }).retryable, false);
  });

  test('no source file outside the registry writes an error body or status of its own', () => {
    const offenders: string[] = [];
    for (const file of serviceSources()) {
      if (file.startsWith('services/shared/errors/')) continue;
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      // A hand-written `{ error: { code: 'X' … } }` or `readonly code = 'X'` / `httpStatus = 4xx` is a second list.
      for (const m of text.matchAll(/error:\s*\{\s*code:\s*'([A-Z_]+)'|readonly code = '([A-Z_]+)'|httpStatus\s*=\s*\d{3}/g)) {
        offenders.push(`${file}: ${m[0]}`);
      }
    }
    assert.deepEqual(offenders, []);
  });
});
