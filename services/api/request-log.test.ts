/**
 * The hand-written request log against pino-http, the library it stands in for (see the measured
 * reason in request-log.ts): for the same requests both write one line each, with the same level,
 * method, path (no query string), status, job id and error code.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import pino from 'pino';
import { pinoHttpRequestLog } from '../../bench/reference/pino-http-request-log';
import { requestLog } from './request-log';

interface Line {
  level: number;
  method: string;
  path: string;
  status: number;
  job_id?: string;
  code?: string;
}

async function linesFor(
  middleware: (logger: pino.Logger) => RequestHandler,
  normalize: (raw: Record<string, any>) => Line,
): Promise<Line[]> {
  const raw: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) raw.push(JSON.parse(l));
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const app = express();
  app.use(middleware(logger));
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.post('/api/jobs', (_req, res) => {
    res.locals.jobId = 'job-1';
    res.status(202).json({ id: 'job-1' });
  });
  app.get('/api/jobs/:id', (_req, res) => {
    res.locals.errorCode = 'JOB_NOT_FOUND';
    res.status(404).json({ error: { code: 'JOB_NOT_FOUND' } });
  });
  app.get('/boom', (_req, res) => {
    res.locals.errorCode = 'INTERNAL_ERROR';
    res.status(500).json({ error: { code: 'INTERNAL_ERROR' } });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await (await fetch(`${base}/healthz`)).text();
    await (await fetch(`${base}/api/jobs?token=secret`, { method: 'POST' })).text();
    await (await fetch(`${base}/api/jobs/nope?x=1`)).text();
    await (await fetch(`${base}/boom`)).text();
    // The line is written on 'finish', after the client may already have the body.
    for (let i = 0; i < 100 && raw.length < 4; i++) await new Promise((r) => setImmediate(r));
  } finally {
    server.close();
  }
  return raw.map(normalize);
}

test('each request logs the same line as pino-http would: level, method, path without query, status, job id, code', async () => {
  const ours = await linesFor(requestLog, (l) => ({
    level: l.level,
    method: l.method,
    path: l.path,
    status: l.status,
    job_id: l.job_id,
    code: l.code,
  }));
  const reference = await linesFor(pinoHttpRequestLog, (l) => ({
    level: l.level,
    method: l.req.method,
    path: l.req.path,
    status: l.res.status,
    job_id: l.job_id,
    code: l.code,
  }));
  assert.equal(ours.length, 4);
  assert.deepEqual(ours, reference);
  assert.deepEqual(
    ours.map((l) => [l.level, l.path, l.status]),
    [
      [20, '/healthz', 200],
      [30, '/api/jobs', 202],
      [30, '/api/jobs/nope', 404],
      [50, '/boom', 500],
    ],
  );
  assert.equal(ours[1].job_id, 'job-1');
  assert.equal(ours[2].code, 'JOB_NOT_FOUND');
});
