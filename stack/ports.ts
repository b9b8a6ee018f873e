/**
 * The port plan: every listener of every stack part, set explicitly, so no part opens a default port
 * of its own that could collide with another's (Tempo's OTLP receivers default to the collector's
 * 4317/4318; Tempo and Loki both default to gRPC 9095 and memberlist 7946). make stack uses
 * COMPOSE_PORT_PLAN (the ports compose publishes, plus fixed ones for the rest, README "Ports");
 * tests use freePortPlan().
 */
import net from 'node:net';

export interface CollectorPorts {
  otlpGrpc: number;
  otlpHttp: number;
  /** Its own metrics (otelcol_*), scraped by Prometheus. */
  metrics: number;
  /** The health_check extension. */
  health: number;
}

export interface TempoPorts {
  http: number;
  grpc: number;
  otlpGrpc: number;
  otlpHttp: number;
  memberlist: number;
}

export interface LokiPorts {
  http: number;
  grpc: number;
  memberlist: number;
}

export interface PortPlan {
  /** The render service (embedded API + worker). */
  api: number;
  collector: CollectorPorts;
  tempo: TempoPorts;
  prometheus: number;
  /** Alertmanager's HTTP port; its cluster (gossip) listener is always off. */
  alertmanager: number;
  grafana: number;
  loki: LokiPorts;
  /** Toxiproxy's API; its proxies' listen ports are chosen by the tests that create them. */
  toxiproxy: number;
}

export const COMPOSE_PORT_PLAN: PortPlan = Object.freeze({
  api: 3000,
  collector: { otlpGrpc: 4317, otlpHttp: 4318, metrics: 8888, health: 13133 },
  tempo: { http: 3200, grpc: 9095, otlpGrpc: 4417, otlpHttp: 4418, memberlist: 7946 },
  prometheus: 9090,
  alertmanager: 9093,
  grafana: 3001,
  loki: { http: 3100, grpc: 9096, memberlist: 7947 },
  toxiproxy: 8474,
});

/** Every port of the plan with the listener it belongs to, e.g. `tempo.otlpGrpc`. */
export function listenersOf(plan: PortPlan): { name: string; port: number }[] {
  const out: { name: string; port: number }[] = [];
  for (const [part, value] of Object.entries(plan)) {
    if (typeof value === 'number') out.push({ name: part, port: value });
    else for (const [k, port] of Object.entries(value as Record<string, number>)) out.push({ name: `${part}.${k}`, port });
  }
  return out;
}

/** Throws when two listeners of the plan share a port. */
export function assertNoCollision(plan: PortPlan): void {
  const seen = new Map<number, string>();
  for (const { name, port } of listenersOf(plan)) {
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`port plan: ${name} has no valid port (${port})`);
    const other = seen.get(port);
    if (other) throw new Error(`port plan: ${name} and ${other} both use port ${port}`);
    seen.set(port, name);
  }
}

/** A port the kernel reports free on 127.0.0.1. */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A plan of free loopback ports, all different (for tests running beside anything else). */
export async function freePortPlan(): Promise<PortPlan> {
  const used = new Set<number>();
  const next = async (): Promise<number> => {
    for (;;) {
      const p = await freeLoopbackPort();
      if (!used.has(p)) {
        used.add(p);
        return p;
      }
    }
  };
  return {
    api: await next(),
    collector: { otlpGrpc: await next(), otlpHttp: await next(), metrics: await next(), health: await next() },
    tempo: { http: await next(), grpc: await next(), otlpGrpc: await next(), otlpHttp: await next(), memberlist: await next() },
    prometheus: await next(),
    alertmanager: await next(),
    grafana: await next(),
    loki: { http: await next(), grpc: await next(), memberlist: await next() },
    toxiproxy: await next(),
  };
}

/** Resolves when `port` can be bound on 127.0.0.1; otherwise rejects naming the listener. */
export async function assertPortFree(port: number, listener: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${port} (${listener}) is already taken: stop what listens there, or change the port plan`
            : `port ${port} (${listener}): ${err.message}`,
        ),
      ),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}
