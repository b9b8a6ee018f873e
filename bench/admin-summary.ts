/**
 * The admin summary's job figures with 100,000 jobs in range on the embedded store: the SQL
 * aggregates (`summaryFacts`, what `/api/admin/summary` and `/admin/metrics` use) against the previous
 * way (every job of the range loaded and aggregated in JavaScript), same file, same run, interleaved.
 * Target: the aggregates answer in under 100 ms (median) with 100,000 jobs in the 30-day range, and
 * the ratio old / new is printed so a slower machine still shows the gain.
 * Run: `node --import tsx bench/admin-summary.ts [jobs] [rounds]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../services/queue/embedded/database';
import { SqliteJobStore } from '../services/queue/embedded/sqlite-job-store';
import { factsOfJobs } from '../services/shared/stats';
import { median, reportTarget, sameFigures, seededJob } from './summary-jobs';

const JOBS = Number(process.argv[2] ?? 100_000);
const ROUNDS = Number(process.argv[3] ?? 7);
const DAY_MS = 86_400_000;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-bench-summary-'));
  const db = openDatabase(dir);
  const store = new SqliteJobStore(db);
  try {
    const now = Date.now();
    const seed = db.transaction(() => {
      for (let i = 0; i < JOBS; i++) void store.create(seededJob(i, JOBS, now));
    });
    seed();
    const since = now - 30 * DAY_MS;
    // Warm-up, and the two ways must agree before their times mean anything.
    const fromSql = await store.summaryFacts(since);
    const fromJobs = factsOfJobs(await store.createdSince(since));
    if (sameFigures(fromSql) !== sameFigures(fromJobs)) throw new Error('the SQL aggregates disagree with the job-by-job figures');
    const sql: number[] = [];
    const sqlCpu: number[] = [];
    const load: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      let t = performance.now();
      const cpu = process.cpuUsage();
      await store.summaryFacts(since);
      sql.push(performance.now() - t);
      const used = process.cpuUsage(cpu);
      sqlCpu.push((used.user + used.system) / 1000);
      t = performance.now();
      factsOfJobs(await store.createdSince(since));
      load.push(performance.now() - t);
    }
    const m = { sql: median(sql), cpu: median(sqlCpu), load: median(load) };
    console.log(`admin summary figures, ${JOBS} jobs in range, ${ROUNDS} rounds`);
    console.log(`  SQL aggregates (ms):        ${sql.map((x) => x.toFixed(1)).join(' ')}  median ${m.sql.toFixed(1)}`);
    console.log(`  SQL aggregates, CPU (ms):   ${sqlCpu.map((x) => x.toFixed(1)).join(' ')}  median ${m.cpu.toFixed(1)}`);
    console.log(`  load every job (ms):        ${load.map((x) => x.toFixed(0)).join(' ')}  median ${m.load.toFixed(0)}`);
    console.log(`  ratio load / SQL:           ${(m.load / m.sql).toFixed(1)}x`);
    // Wall time is the target; on a machine shared with other work the CPU time shows what the query itself costs.
    reportTarget(m.sql);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
