/**
 * A small typed client for Toxiproxy's HTTP API (the server stack/launch.ts startToxiproxy runs):
 * proxies on loopback in front of loopback upstreams, and the toxics the fault test applies. No npm
 * client: the API is a handful of JSON calls, and the maintained clients are for other languages.
 */

/** The toxics the fault test applies, with the attributes each one takes (Toxiproxy's own names and units). */
export type Toxic =
  /** Adds `latency` ms (± `jitter`) to each chunk of data. */
  | { type: 'latency'; attributes: { latency: number; jitter?: number } }
  /** Limits the stream to `rate` KB/s. */
  | { type: 'bandwidth'; attributes: { rate: number } }
  /** A black hole: data is dropped; the connection closes after `timeout` ms (0: never, until the toxic is removed). */
  | { type: 'timeout'; attributes: { timeout: number } }
  /** Resets the connection (TCP RST) `timeout` ms after data arrives (0: at once). */
  | { type: 'reset_peer'; attributes: { timeout: number } }
  /** Delays closing the connection by `delay` ms. */
  | { type: 'slow_close'; attributes: { delay: number } };

export type ToxicType = Toxic['type'];

/** Data from the client to the upstream, or back. */
export type Stream = 'upstream' | 'downstream';

/** One proxy: where it listens (127.0.0.1) and what it forwards to. */
export interface Proxy {
  name: string;
  /** `127.0.0.1:<port>` */
  listen: string;
  upstream: string;
  enabled: boolean;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]):\d+$/;

/** A client of one Toxiproxy server's API, e.g. `new ToxiproxyClient('http://127.0.0.1:8474')`. */
export class ToxiproxyClient {
  constructor(private readonly apiUrl: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`toxiproxy ${method} ${path} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  /** Creates an enabled proxy; both addresses must be loopback (the only network target a test may have). */
  async createProxy(name: string, listen: string, upstream: string): Promise<Proxy> {
    for (const address of [listen, upstream]) if (!LOOPBACK.test(address)) throw new Error(`not a loopback address: ${address}`);
    return (await this.call('POST', '/proxies', { name, listen, upstream, enabled: true })) as Proxy;
  }

  async deleteProxy(name: string): Promise<void> {
    await this.call('DELETE', `/proxies/${encodeURIComponent(name)}`);
  }

  /** Adds `toxic` on `stream` of proxy `proxy` as toxic `name` (on every connection: toxicity 1). */
  async addToxic(proxy: string, name: string, toxic: Toxic, stream: Stream = 'downstream'): Promise<void> {
    await this.call('POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, {
      name,
      type: toxic.type,
      stream,
      toxicity: 1,
      attributes: toxic.attributes,
    });
  }

  async removeToxic(proxy: string, name: string): Promise<void> {
    await this.call('DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(name)}`);
  }

  /** The names of the toxics currently on `proxy`. */
  async toxics(proxy: string): Promise<string[]> {
    return ((await this.call('GET', `/proxies/${encodeURIComponent(proxy)}/toxics`)) as { name: string }[]).map((t) => t.name);
  }
}
