/**
 * The committed configs carry their layout's differences as variables with defaults: the collector's
 * `${env:NAME:-default}`, Tempo's `${NAME:-default}` (-config.expand-env). Checks of the compose
 * layout read a config the way its tool does with nothing set: every reference by its default.
 */

const REFERENCE = /\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** `text` with every `${[env:]NAME[:-default]}` replaced by `env[NAME]`, else its default (else ''). */
export function expandVariables(text: string, env: Readonly<Record<string, string | undefined>> = {}): string {
  return text.replace(REFERENCE, (_m, name: string, fallback: string | undefined) => env[name] ?? fallback ?? '');
}

/** The variable names a config refers to. */
export function variablesOf(text: string): string[] {
  return [...new Set([...text.matchAll(REFERENCE)].map((m) => m[1]))];
}
