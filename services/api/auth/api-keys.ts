/**
 * The API keys: `client:token` pairs from RENDER_API_KEYS and/or RENDER_API_KEYS_FILE (one pair a
 * line, `#` comments; a token may be given as `sha256:<hex>` so the file need not hold the secret
 * itself). Tokens are kept only as SHA-256 digests and compared in constant time. The file is
 * re-read when it changes (checked at most once a second, on use), so keys rotate without a
 * restart: during a rotation the file holds both the old and the new line for the same client.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ConfigError, parseApiKeyLine, type Config } from '../../shared/config';
import type { Logger } from '../../telemetry/logger';

interface Key {
  client: string;
  digest: Buffer;
}

const RECHECK_MS = 1000;
const HASHED = /^sha256:([0-9a-f]{64})$/i;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function toKey(client: string, token: string): Key {
  const hashed = HASHED.exec(token);
  return { client, digest: hashed ? Buffer.from(hashed[1], 'hex') : sha256(token) };
}

/** Parses a keys file's text; throws naming the first bad line (never echoing it: it may hold a token). */
export function parseKeysFile(text: string, source = 'RENDER_API_KEYS_FILE'): Key[] {
  const keys: Key[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parsed = parseApiKeyLine(line);
    if (!parsed) throw new Error(`${source}: line ${i + 1} is not client:token`);
    keys.push(toKey(parsed.client, parsed.token));
  });
  return keys;
}

/** Which client a bearer token belongs to. */
export class ApiKeys {
  private fileKeys: Key[] = [];
  private fileStamp = '';
  private checkedAt = 0;

  private constructor(
    private readonly staticKeys: Key[],
    private readonly file: string | undefined,
    private readonly onReloadError: (err: Error) => void,
  ) {
    if (file) this.reload(true);
  }

  /** Keys from the config; null when neither variable is set (the API is then open, every caller `anonymous`). */
  static fromConfig(
    config: { apiKeys: readonly { client: string; token: string }[] | undefined; apiKeysFile: string | undefined },
    onReloadError: (err: Error) => void = () => undefined,
  ): ApiKeys | null {
    if (!config.apiKeys && !config.apiKeysFile) return null;
    return new ApiKeys(
      (config.apiKeys ?? []).map((k) => toKey(k.client, k.token)),
      config.apiKeysFile,
      onReloadError,
    );
  }

  /** The client owning `token`, or null. Every key is compared, so the time taken says nothing about which matched. */
  clientOf(token: string): string | null {
    this.maybeReload();
    const digest = sha256(token);
    let found: string | null = null;
    for (const key of [...this.staticKeys, ...this.fileKeys]) {
      if (timingSafeEqual(digest, key.digest) && found === null) found = key.client;
    }
    return found;
  }

  private maybeReload(): void {
    if (!this.file || Date.now() - this.checkedAt < RECHECK_MS) return;
    try {
      this.reload(false);
    } catch (err) {
      // A half-written or broken file keeps the keys we had: a typo must not lock everyone out.
      this.onReloadError(err as Error);
    }
  }

  private reload(initial: boolean): void {
    const file = this.file as string;
    this.checkedAt = Date.now();
    const st = statSync(file);
    const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    if (!initial && stamp === this.fileStamp) return;
    this.fileKeys = parseKeysFile(readFileSync(file, 'utf8'));
    this.fileStamp = stamp;
  }
}

/** The API keys of a config, or null when none are configured; an unreadable keys file stops start-up naming the variable. */
export function loadApiKeys(config: Pick<Readonly<Config>, 'apiKeys' | 'apiKeysFile'>, logger: Logger): ApiKeys | null {
  try {
    return ApiKeys.fromConfig(config, (err) => logger.warn({ err: err.message }, 'API keys file not reloaded; keeping the previous keys'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(
      `RENDER_API_KEYS_FILE: cannot read the API keys file (${why}); point it at a readable file of client:token lines, or set RENDER_API_KEYS`,
    );
  }
}
