/** `make bench`: runs each same-run ratio in its own process and fails when any misses its target. */
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../test/support/service';

// api-cost-breakdown has no target: it explains (a)'s ratio.
const benches = [
  'bench/api-throughput.ts',
  'bench/api-cost-breakdown.ts',
  'bench/job-throughput.ts',
  'bench/metrics-scrape.ts',
  'bench/admin-summary.ts',
];
let failed = false;
for (const file of benches) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
