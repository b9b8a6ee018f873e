/**
 * Runs an external tool (ffmpeg, ffprobe, espeak-ng) with no shell, so user text can never become
 * a command. Abort sends SIGTERM then SIGKILL after a grace period, and the promise settles only
 * once the child has exited, so no process outlives its attempt.
 */
import { spawn } from 'node:child_process';
import { ResourceExhaustedError } from '../shared/errors/resource-exhausted-error';
import { classifyError } from '../shared/errors/classify';
import { childEnv } from './child-env';

/** How a finished child exited. */
export interface ChildResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderrTail: string;
  /** True when our abort stopped it. */
  aborted: boolean;
}

/** Options of runChild. */
export interface ChildOptions {
  signal?: AbortSignal;
  /** Called with each stdout chunk as it arrives (FFmpeg `-progress pipe:1`). */
  onStdout?: (chunk: string) => void;
  /** Keep stdout in the result (ffprobe); off for long-running tools. */
  captureStdout?: boolean;
  killGraceMs?: number;
  /** Called once the child is spawned (tests use the pid). */
  onSpawn?: (pid: number) => void;
  /** Working directory; FFmpeg runs in the scratch dir so filter graphs name files relatively, with nothing to escape. */
  cwd?: string;
}

const STDERR_TAIL = 4000;

/** Spawns `command` and resolves when it exits; a missing binary rejects with ResourceExhaustedError TOOL_MISSING. */
export function runChild(command: string, args: string[], options: ChildOptions = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve({ exitCode: null, signal: null, stdout: '', stderrTail: '', aborted: true });
      return;
    }
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd, env: childEnv() });
    let stdout = '';
    let stderr = '';
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      aborted = true;
      child.kill('SIGTERM');
      // FFmpeg may take a while to flush on SIGTERM; a hard kill keeps the cancel promise.
      killTimer = setTimeout(() => child.kill('SIGKILL'), options.killGraceMs ?? 1000);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (options.captureStdout) stdout += chunk;
      options.onStdout?.(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });
    child.on('spawn', () => child.pid !== undefined && options.onSpawn?.(child.pid));
    child.on('error', (err: NodeJS.ErrnoException) => {
      cleanup();
      if (err.code === 'ENOENT') reject(new ResourceExhaustedError('TOOL_MISSING', `${command} is not installed`, false, { cause: err }));
      else reject(classifyError(err));
    });
    child.on('close', (exitCode, signal) => {
      cleanup();
      resolve({ exitCode, signal, stdout, stderrTail: stderr, aborted });
    });
    function cleanup() {
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  });
}
