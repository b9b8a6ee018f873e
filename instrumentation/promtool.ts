/** Runs the real `promtool check metrics` on an exposition, for tests and the bench. */
import { spawnSync } from 'node:child_process';

/** promtool's verdict: exit status and its complaints (errors and lint warnings). */
export interface PromtoolResult {
  status: number | null;
  output: string;
}

/** Pipes `exposition` into `promtool check metrics`. */
export function promtoolCheckMetrics(exposition: string): PromtoolResult {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}
