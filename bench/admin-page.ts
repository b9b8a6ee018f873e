/**
 * How fast `/admin/metrics` answers with 10,000 recorded jobs, as a ratio to `GET /healthz` on the
 * same server in the same run (absolute times depend on the machine; the ratio is what to compare).
 * Run: `node --import tsx bench/admin-page.ts [jobs] [requests]`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startApi } from '../services/api/main';
import { loadConfig } from '../services/shared/config';
import { ERROR_CATEGORIES } from '../services/shared/errors/categories';
import { newJobRecord, type JobRecord } from '../services/shared/job';
import { renderRequestSchema } from '../services/shared/request';

const JOBS = Number(process.argv[2] ?? 10_000);
const REQUESTS = Number(process.argv[3] ?? 40);
const DAY_MS = 86_400_000;

/** A finished, failed or waiting job created somewhere in the last 30 days. */
function seededJob(i: number, now: number): JobRecord {
  const request = renderRequestSchema.parse({ title: `bench deck ${i} <b>&</b>`, slides: [{ title: 'one', duration: 1 }] });
  // 7919 is prime, so this spreads the jobs evenly (and out of order) over the last 30 days.
  const created = new Date(now - Math.floor((((i * 7919) % JOBS) / JOBS) * 30 * DAY_MS));
  const job = newJobRecord(randomUUID(), request, 3, created);
  const finishedAt = new Date(created.getTime() + 5000 + (i % 50) * 1000).toISOString();
  if (i % 10 === 0) {
    const category = ERROR_CATEGORIES[i % ERROR_CATEGORIES.length];
    return {
      ...job,
      status: 'failed',
      attempts: 3,
      finishedAt,
      durationSeconds: 2 + (i % 7),
      error: { code: 'BENCH', category, message: `bench failure ${i}`, retryable: false },
    };
  }
  if (i % 97 === 0) return job;
  return {
    ...job,
    status: 'completed',
    stage: 'store',
    progress: 100,
    attempts: 1,
    startedAt: created.toISOString(),
    finishedAt,
    durationSeconds: 5 + (i % 50),
    queueWaitSeconds: 0.2,
  };
}

async function timeRequests(url: string): Promise<{ median: number; p95: number }> {
  const samples: number[] = [];
  for (let i = 0; i < REQUESTS + 3; i++) {
    const start = process.hrtime.bigint();
    const res = await fetch(url, { headers: { authorization: 'Bearer bench-token' } });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
    if (i >= 3) samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], p95: samples[Math.ceil(samples.length * 0.95) - 1] };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-bench-admin-'));
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', RENDER_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ADMIN_TOKEN: 'bench-token' });
  const api = await startApi(config, pino({ level: 'silent' }));
  try {
    const now = Date.now();
    const seedStart = Date.now();
    for (let i = 0; i < JOBS; i++) await api.backend.store.create(seededJob(i, now));
    console.log(`seeded ${JOBS} jobs in ${Date.now() - seedStart} ms; ${REQUESTS} sequential requests per URL`);
    const base = await timeRequests(`${api.url}/healthz`);
    const rows: [string, { median: number; p95: number }][] = [['/healthz', base]];
    for (const p of ['/admin/metrics?range=30d', '/admin/metrics?range=24h', '/api/admin/summary?range=30d'])
      rows.push([p, await timeRequests(`${api.url}${p}`)]);
    for (const [p, t] of rows) {
      console.log(
        `${p.padEnd(30)} median ${t.median.toFixed(2).padStart(8)} ms  p95 ${t.p95.toFixed(2).padStart(8)} ms  ratio to /healthz ${(t.median / base.median).toFixed(1)}×`,
      );
    }
  } finally {
    await api.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
