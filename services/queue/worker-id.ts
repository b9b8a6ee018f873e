import { randomUUID } from 'node:crypto';
import os from 'node:os';

/**
 * A worker's id, the same shape on every backend: `host:pid:random`. Host and pid let an operator
 * find the process (and the embedded backend tell a crashed local worker from a live one); the
 * random suffix keeps a restarted process with a recycled pid distinct.
 */
export function newWorkerId(): string {
  return `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
