/** Runs a bench file's `child` mode in its own instrumented process and parses its last stdout line as JSON. */
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../test/support/service';

/** Spawns `node --import tsx --import ./instrumentation/register.ts <file> child ...args` with `env` added. */
export function runBenchChild<T>(file: string, args: string[], env: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--import', './instrumentation/register.ts', file, 'child', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.once('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`bench child ${file} exited ${code}`);
        resolve(JSON.parse(out.trim().split('\n').at(-1)!) as T);
      } catch (err) {
        reject(err);
      }
    });
  });
}
