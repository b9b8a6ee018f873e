/**
 * Which network addresses the service may send requests to (asset downloads and webhooks). Only
 * globally routable unicast addresses are allowed by default: loopback, unspecified, RFC 1918,
 * link-local (cloud metadata lives there), CGNAT, benchmark, multicast and reserved ranges, IPv6
 * loopback/ULA/link-local, and IPv4-mapped, NAT64, 6to4 and Teredo forms of refused IPv4 addresses
 * are all refused. Classification comes from ipaddr.js's range tables, not from hand-written masks.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Why an address is refused (the ipaddr.js range name), or null when it may be contacted. */
export function refusedAddressReason(address: string): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(stripBrackets(address));
  } catch {
    return 'unparsable';
  }
  if (parsed.kind() === 'ipv4') {
    const range = parsed.range();
    return range === 'unicast' ? null : range;
  }
  const v6 = parsed as ipaddr.IPv6;
  const range = v6.range();
  // Forms that carry an IPv4 address inside: judged by that address.
  const embedded = embeddedIPv4(v6, range);
  if (embedded) {
    const inner = refusedAddressReason(embedded.toString());
    return inner ? `${range}:${inner}` : null;
  }
  if (range !== 'unicast') return range;
  // Global unicast is 2000::/3; anything else left over (IPv4-compatible ::a.b.c.d, unassigned) is refused.
  return v6.match(ipaddr.IPv6.parse('2000::'), 3) ? null : 'reserved';
}

function embeddedIPv4(v6: ipaddr.IPv6, range: string): ipaddr.IPv4 | null {
  const p = v6.parts;
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') {
    return new ipaddr.IPv4([p[6] >> 8, p[6] & 0xff, p[7] >> 8, p[7] & 0xff]);
  }
  // 6to4 (2002:AABB:CCDD::/48) names its IPv4 relay in bits 16–47.
  if (range === '6to4') return new ipaddr.IPv4([p[1] >> 8, p[1] & 0xff, p[2] >> 8, p[2] & 0xff]);
  return null;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** True for names that always mean this host (RFC 6761): `localhost` and `*.localhost`, with or without the root dot. */
export function isLocalhostName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

/**
 * Why a URL's host is refused without any lookup (an IP literal in a refused range, or localhost),
 * or null when only a DNS answer can tell. The host is read through the WHATWG URL parser, so
 * `2130706433`, `0x7f.0.0.1`, `0177.0.0.1` and `127.1` arrive here already as `127.0.0.1`.
 */
export function refusedLiteralHost(rawUrl: string): string | null {
  let hostname: string;
  try {
    hostname = new URL(rawUrl).hostname;
  } catch {
    return 'invalid';
  }
  if (isLocalhostName(hostname)) return 'loopback';
  const bare = stripBrackets(hostname);
  if (isIP(bare) === 0) return null;
  return refusedAddressReason(bare);
}

/** A URL reduced to scheme, host and port, for logs, span attributes and public errors (paths and queries may hold tokens). */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    const port = u.port || (u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : '');
    return `${u.protocol}//${u.hostname}${port ? `:${port}` : ''}`;
  } catch {
    return '(invalid url)';
  }
}
