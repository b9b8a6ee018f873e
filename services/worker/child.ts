/**
 * Runs an external tool (ffmpeg, ffprobe, espeak-ng) with no shell, so user text can never become
 * a command. Abort sends SIGTERM then SIGKILL after a grace period, and the promise settles only
 * once the child has exited, so no process outlives its attempt.
 *
 * Each tool runs in its own process group: a signal meant for the service (Ctrl-C in a terminal sends
 * SIGINT to the whole foreground group, an orchestrator may signal the group) reaches only the node
 * process, which then decides the tools' fate (drain, or abort). Signals from here go to the group.
 * Tools left behind by a process that was killed outright are swept at the next start (scratch.ts).
 */
import { spawn } from 'node:child_process';
import { ResourceExhaustedError, StorageError } from '../shared/errors';
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
  /** Called once the child is spawned. @testSeam child-on-spawn */
  onSpawn?: (pid: number) => void;
  /** Working directory; FFmpeg runs in the scratch dir so filter graphs name files relatively, with nothing to escape. */
  cwd?: string;
}

const STDERR_TAIL = 4000;

/**
 * How FFmpeg, espeak-ng and ffprobe report a write that failed with ENOSPC: strerror's text (the C
 * library's; these tools never switch LC_MESSAGES, so it is not translated), since no exit code tells.
 */
const DISK_FULL = /No space left on device/;

/** The environment every external tool gets: the minimal one of child-env.ts (no tokens, secrets or REDIS_URL). */
export function childEnvironment(): NodeJS.ProcessEnv {
  return childEnv();
}

/** Signals the child's whole process group (it leads one); falls back to the child alone. */
function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Spawns `command` and resolves when it exits; a missing binary rejects with ResourceExhaustedError TOOL_MISSING. */
export function runChild(command: string, args: string[], options: ChildOptions = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve({ exitCode: null, signal: null, stdout: '', stderrTail: '', aborted: true });
      return;
    }
    // detached: a new session and process group of its own (see the header); still awaited below, never unref'd.
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd, env: childEnvironment(), detached: true });
    let stdout = '';
    let stderr = '';
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      aborted = true;
      signalGroup(child.pid, 'SIGTERM');
      // FFmpeg may take a while to flush on SIGTERM; a hard kill keeps the cancel promise.
      killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), options.killGraceMs ?? 1000);
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
      // A full disk is a storage failure wherever the tool was writing (scratch, encode), retryable after
      // the backoff, not a failure of the tool on this input.
      if (exitCode !== 0 && !aborted && DISK_FULL.test(stderr)) {
        reject(
          new StorageError(`${command} ran out of disk space (ENOSPC): ${stderr.trim().split('\n').pop()?.slice(0, 300) ?? ''}`, 'ENOSPC'),
        );
        return;
      }
      resolve({ exitCode, signal, stdout, stderrTail: stderr, aborted });
    });
    function cleanup() {
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  });
}
