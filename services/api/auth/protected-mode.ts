/**
 * Protected mode, as in Redis: a process refuses to start, naming the variable to set, when it would
 * serve what others should not see.
 * - An API bound beyond loopback with no API keys would let anyone on the network render, read and
 *   cancel jobs: refused (RENDER_API_KEYS) unless RENDER_AUTH=none says this is wanted (a trusted
 *   network, or a proxy doing authentication).
 * - With API keys configured, or beyond loopback, the admin page and `/api/admin/summary` show every
 *   client's job titles and ids: refused without ADMIN_TOKEN (an empty value counts as unset), even
 *   with RENDER_AUTH=none, which opens the jobs API only.
 * Workers serve only metrics and health and are exempt.
 */
import { isIP } from 'node:net';
import { type Config, ConfigError } from '../../shared/config';
import { refusedAddressReason } from '../../shared/url-policy';
import type { Logger } from '../../telemetry/logger';
import { type ApiKeys, loadApiKeys } from './api-keys';

/** True for a bind address only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  if (isIP(bare) === 0) return false;
  const reason = refusedAddressReason(bare);
  return reason === 'loopback' || reason === 'ipv4Mapped:loopback';
}

/** Throws ConfigError naming the variable protected mode wants (RENDER_API_KEYS, then ADMIN_TOKEN). */
export function assertProtectedMode(config: Pick<Readonly<Config>, 'host' | 'auth' | 'adminToken'>, keys: ApiKeys | null): void {
  const exposed = !isLoopbackHost(config.host);
  const openOnPurpose = config.auth === 'none';
  if (exposed && !keys && !openOnPurpose) {
    throw new ConfigError(
      `refusing to serve the API on HOST=${config.host} without API keys: set RENDER_API_KEYS (client:token,…) or ` +
        'RENDER_API_KEYS_FILE, bind to 127.0.0.1, or set RENDER_AUTH=none to run it open on purpose',
    );
  }
  if ((keys || exposed) && config.adminToken === undefined) {
    const why = keys ? 'API keys are configured' : `the API listens on HOST=${config.host}`;
    throw new ConfigError(
      `refusing to start: ${why}, so the admin page and /api/admin/summary (every client's jobs) need ADMIN_TOKEN; ` +
        'set ADMIN_TOKEN to a long random secret (an empty value counts as unset)',
    );
  }
}

/** Protected mode checked before a process opens anything (the app checks again when it is built). */
export function assertApiExposureAllowed(
  config: Pick<Readonly<Config>, 'host' | 'auth' | 'adminToken' | 'apiKeys' | 'apiKeysFile'>,
  logger: Logger,
): void {
  assertProtectedMode(config, loadApiKeys(config, logger));
}
