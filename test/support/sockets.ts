/**
 * The client connections Node attempts while a test's code runs (net.connect and tls.connect, so
 * fetch and http.request too), seen through the `net.client.socket` diagnostics channel and each
 * socket's `connectionAttempt` event. Tests that name private or link-local addresses use it to show
 * those were refused before any socket was opened, and that only loopback was ever dialled.
 */
import diagnostics from 'node:diagnostics_channel';
import type net from 'node:net';
import ipaddr from 'ipaddr.js';

export interface Connections {
  /** Client sockets created. */
  sockets: number;
  /** The address of every connection attempt those sockets made. */
  attempted: string[];
}

/** Runs `fn` and reports the client sockets and connection attempts made in this process meanwhile. */
export async function connectionsDuring(fn: () => Promise<void>): Promise<Connections> {
  const seen: Connections = { sockets: 0, attempted: [] };
  const onSocket = (message: unknown) => {
    seen.sockets++;
    (message as { socket: net.Socket }).socket.on('connectionAttempt', (ip: string) => seen.attempted.push(ip));
  };
  diagnostics.subscribe('net.client.socket', onSocket);
  try {
    await fn();
  } finally {
    diagnostics.unsubscribe('net.client.socket', onSocket);
  }
  return seen;
}

/** 127.0.0.0/8 and ::1 (IPv4-mapped forms included): the only addresses a test may connect to. */
export function isLoopbackAddress(address: string): boolean {
  try {
    return ipaddr.process(address).range() === 'loopback';
  } catch {
    return false;
  }
}
