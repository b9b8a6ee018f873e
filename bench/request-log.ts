/**
 * The request log's cost per request: the API's hand-written middleware against the same log
 * expressed with pino-http (bench/reference), on the same Express app, interleaved rounds, logging
 * to /dev/null at info level. Ratio = pino-http req/s ÷ ours.
 * Run: `node --import tsx bench/request-log.ts [seconds] [rounds]`.
 */
import { createWriteStream } from 'node:fs';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import express, { type RequestHandler } from 'express';
import pino from 'pino';
import { requestLog } from '../services/api/request-log';
import { pinoHttpRequestLog } from './reference/pino-http-request-log';

const SECONDS = Number(process.argv[2] ?? 3);
const ROUNDS = Number(process.argv[3] ?? 3);
const logger = pino({ level: 'info' }, createWriteStream('/dev/null'));

async function serve(log: RequestHandler) {
  const app = express();
  app.use(log);
  app.get('/api/jobs/:id', (req, res) => void res.json({ id: req.params.id, status: 'processing', progress: 0.5 }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/jobs/abc`, close: () => server.close() };
}

async function rps(log: RequestHandler): Promise<number> {
  const s = await serve(log);
  const r = await autocannon({ url: s.url, connections: 10, duration: SECONDS });
  s.close();
  return r.requests.average;
}

async function main() {
  const ratios: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const lib = await rps(pinoHttpRequestLog(logger));
    const ours = await rps(requestLog(logger));
    ratios.push(lib / ours);
    console.log(`round ${i + 1}: pino-http ${lib.toFixed(0)} req/s, ours ${ours.toFixed(0)} req/s, ratio ${(lib / ours).toFixed(3)}`);
  }
  ratios.sort((a, b) => a - b);
  console.log(`request log, pino-http vs ours: ${ratios[Math.floor(ratios.length / 2)].toFixed(3)} (median of ${ROUNDS})`);
}

void main();
