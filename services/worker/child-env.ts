/**
 * The environment FFmpeg, ffprobe and espeak-ng run with: only what they need to find their
 * binaries, data, fonts and locale. Everything else, tokens, WEBHOOK_SECRET, REDIS_URL, API keys,
 * OTEL headers, stays in the service, so a tool exploited by a hostile file finds no secret to read.
 */

/** Variables passed through when set. */
export const CHILD_ENV_ALLOWLIST: readonly string[] = [
  'PATH',
  'HOME',
  'TMPDIR',
  'TZ',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'ESPEAK_DATA_PATH',
  'FONTCONFIG_FILE',
  'FONTCONFIG_PATH',
];

/** A fresh minimal environment for a child process, built from `env` (the service's own by default). */
export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const name of CHILD_ENV_ALLOWLIST) if (env[name] !== undefined) out[name] = env[name];
  // FFmpeg and espeak-ng need a PATH to be found at all; a stripped service environment still gets a sane one.
  out.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  return out;
}
