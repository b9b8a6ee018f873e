import { RenderError } from './render-error';
import { AssetFetchError, InternalError, JobCancelledError, ResourceExhaustedError, StageTimeoutError, StorageError } from './classes';

const NETWORK_CODES = new Set([
  'ENOTFOUND',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ABORT_ERR_TIMEOUT']);
const STORAGE_CODES = new Set(['ENOSPC', 'EROFS', 'EACCES', 'EPERM', 'EDQUOT', 'EIO', 'EEXIST', 'ENOTDIR', 'EISDIR']);
const RESOURCE_CODES = new Set(['ENOMEM', 'EMFILE', 'ENFILE', 'EAGAIN']);

/** Reads a system error code (`err.code`), looking through `cause` chains such as fetch's `TypeError: fetch failed`. */
export function systemCode(err: unknown): string | null {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = systemCode(errors[0]);
      if (inner) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

/**
 * Maps anything thrown to a RenderError by type and system code, never by English message words,
 * so the category users see in `render_errors_total` does not depend on a library's wording.
 */
export function classifyError(err: unknown, context: { stage?: string; timeoutMs?: number } = {}): RenderError {
  if (err instanceof RenderError) return err;
  const name = err && typeof err === 'object' ? (err as { name?: unknown }).name : undefined;
  if (name === 'TimeoutError') return new StageTimeoutError(context.stage ?? 'unknown', context.timeoutMs ?? 0, { cause: err });
  if (name === 'AbortError') return new JobCancelledError();
  const code = systemCode(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (code) {
    if (TIMEOUT_CODES.has(code)) return new StageTimeoutError(context.stage ?? 'unknown', context.timeoutMs ?? 0, { cause: err });
    if (NETWORK_CODES.has(code)) return new AssetFetchError(`network error (${code})`, { cause: err });
    if (STORAGE_CODES.has(code)) return new StorageError(`storage error (${code}): ${detail}`, code, { cause: err });
    if (RESOURCE_CODES.has(code))
      return new ResourceExhaustedError('RESOURCE_EXHAUSTED', `out of resources (${code})`, true, { cause: err });
  }
  return new InternalError(detail, { cause: err });
}
