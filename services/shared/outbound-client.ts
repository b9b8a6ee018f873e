/**
 * The one outbound HTTP client, used for asset downloads and webhook deliveries. It resolves every
 * host itself, refuses the connection unless every address the name resolves to is allowed
 * (services/shared/url-policy.ts), and then connects to the address it checked: there is no second
 * lookup, so a DNS answer that changes between check and connect (rebinding) cannot reach a
 * refused address. Redirects are followed by hand, and every hop goes through the same check.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { Agent, buildConnector, request } from 'undici';
import { UrlNotAllowedError } from './errors/url-not-allowed-error';
import { isLocalhostName, refusedAddressReason } from './url-policy';

/** One address a name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to every address it has; tests give their own to map names to any address without DNS. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** How the client is built. */
export interface OutboundOptions {
  /** Allow loopback, private, link-local… addresses (RENDER_ALLOW_PRIVATE_URLS); off in production. */
  allowPrivate: boolean;
  /** Limit for name resolution plus the TCP/TLS handshake. */
  connectTimeoutMs: number;
  resolve?: Resolver;
  /** Why an address is refused, or null; the url policy by default (tests allow one extra loopback address to stand in for the internet). */
  refused?: (address: string) => string | null;
}

/** One request. */
export interface OutboundRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Aborts the whole exchange, redirects included (the caller's total timeout, cancel). */
  signal?: AbortSignal;
  /** Redirects to follow; 0 returns the 3xx answer itself. */
  maxRedirects?: number;
}

/** The final answer; `body` must be consumed or destroyed. */
export interface OutboundResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  /** The URL that answered (after redirects). */
  url: string;
}

/** More redirects than allowed, or a redirect without a usable Location. */
export class RedirectError extends Error {
  constructor(
    readonly reason: 'limit' | 'no-location' | 'bad-scheme',
    readonly url: string,
  ) {
    super(`redirect refused: ${reason}`);
    this.name = 'RedirectError';
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const systemResolve: Resolver = (hostname) => dnsLookup(hostname, { all: true, order: 'verbatim' });

/** The outbound HTTP client (one connection pool); `close()` ends its connections. */
export class OutboundClient {
  private readonly agent: Agent;

  constructor(private readonly options: OutboundOptions) {
    const base = buildConnector({ timeout: options.connectTimeoutMs });
    const resolve = options.resolve ?? systemResolve;
    this.agent = new Agent({
      connect: (opts, callback) => {
        this.checkedAddress(opts.hostname, resolve).then(
          (address) => {
            // For a name, the checked address is what we dial; the name stays the TLS server name (SNI and certificate check).
            const bare = stripBrackets(opts.hostname);
            const servername = isIP(bare) ? opts.servername : (opts.servername ?? bare);
            base({ ...opts, hostname: address, servername }, callback);
          },
          (err: Error) => callback(err, null),
        );
      },
    });
  }

  /** The address to connect to for `hostname`, or a rejection with UrlNotAllowedError. */
  private async checkedAddress(hostname: string, resolve: Resolver): Promise<string> {
    const bare = stripBrackets(hostname);
    const refused = this.options.refused ?? refusedAddressReason;
    if (isIP(bare)) {
      if (!this.options.allowPrivate && refused(bare)) throw new UrlNotAllowedError();
      return bare;
    }
    if (!this.options.allowPrivate && isLocalhostName(bare)) throw new UrlNotAllowedError();
    const addresses = await withTimeout(resolve(bare), this.options.connectTimeoutMs);
    if (addresses.length === 0) throw Object.assign(new Error(`no address for ${bare}`), { code: 'ENOTFOUND' });
    // Every address must pass, not just the first: a name mixing public and private answers is refused outright.
    if (!this.options.allowPrivate && addresses.some((a) => refused(a.address))) throw new UrlNotAllowedError();
    return addresses[0].address;
  }

  /** Sends one request, following up to `maxRedirects` redirects (each hop checked again). */
  async send(url: string, init: OutboundRequest = {}): Promise<OutboundResponse> {
    let current = url;
    for (let hop = 0; ; hop++) {
      const target = new URL(current);
      if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new RedirectError('bad-scheme', current);
      const res = await request(target, {
        dispatcher: this.agent,
        method: init.method ?? 'GET',
        headers: init.headers,
        body: init.body,
        signal: init.signal,
      }).catch((err: unknown) => {
        throw unwrapRefusal(err);
      });
      if (!REDIRECTS.has(res.statusCode) || (init.maxRedirects ?? 0) === 0) {
        return { status: res.statusCode, headers: res.headers, body: res.body, url: current };
      }
      discardBody(res.body);
      const location = res.headers.location;
      if (typeof location !== 'string' || location === '') throw new RedirectError('no-location', current);
      if (hop >= (init.maxRedirects ?? 0)) throw new RedirectError('limit', current);
      current = new URL(location, current).href;
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Drops an unread body without a stray 'error' event (undici reports a destroyed body as aborted). */
export function discardBody(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** undici may hand the connector's error back wrapped; callers must see the refusal itself. */
function unwrapRefusal(err: unknown): unknown {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    if (current instanceof UrlNotAllowedError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return err;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`name resolution took over ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const shared = new WeakMap<object, OutboundClient>();

/** The process's client for a config (one pool per config object, so tests with their own config get their own). */
export function outboundFor(config: { fetch: { allowPrivateUrls: boolean; connectTimeoutMs: number } }): OutboundClient {
  let client = shared.get(config);
  if (!client) {
    client = new OutboundClient({ allowPrivate: config.fetch.allowPrivateUrls, connectTimeoutMs: config.fetch.connectTimeoutMs });
    shared.set(config, client);
  }
  return client;
}
