/**
 * Protected mode, as in Redis: an API bound to a non-loopback address with no API keys would let
 * anyone on the network render, read and cancel jobs, so such a process refuses to start and says
 * which variable to set, unless RENDER_AUTH=none says explicitly that this is wanted (a trusted
 * network, or a proxy doing authentication). Workers serve only metrics and health and are exempt.
 */
import { isIP } from 'node:net';
import { ConfigError, type Config } from '../shared/config';
import { refusedAddressReason } from '../shared/url-policy';
import type { Logger } from '../telemetry/logger';
import { type ApiKeys, loadApiKeys } from './api-keys';

/** True for a bind address only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  if (isIP(bare) === 0) return false;
  const reason = refusedAddressReason(bare);
  return reason === 'loopback' || reason === 'ipv4Mapped:loopback';
}

/** Throws ConfigError naming RENDER_API_KEYS when the API would be exposed with no keys. */
export function assertSafeExposure(config: Pick<Readonly<Config>, 'host' | 'auth'>, keys: ApiKeys | null): void {
  if (keys || config.auth === 'none' || isLoopbackHost(config.host)) return;
  throw new ConfigError(
    `refusing to serve the API on HOST=${config.host} without API keys: set RENDER_API_KEYS (client:token,…) or ` +
      'RENDER_API_KEYS_FILE, bind to 127.0.0.1, or set RENDER_AUTH=none to run it open on purpose',
  );
}

/** Protected mode checked before a process opens anything (the app checks again when it is built). */
export function assertApiExposureAllowed(config: Readonly<Config>, logger: Logger): void {
  assertSafeExposure(config, loadApiKeys(config, logger));
}
