import pino, { type DestinationStream, type Logger } from 'pino';
import { activeTraceIds } from './tracing';

/**
 * Where log lines go: JSON on stdout (what log shippers and `docker logs` expect), or, when a
 * person watches a terminal (`make start`), pino-pretty's one-line human format. LOG_FORMAT=json
 * or LOG_FORMAT=pretty overrides the guess.
 */
function destination(): DestinationStream | undefined {
  const format = process.env.LOG_FORMAT || (process.stdout.isTTY ? 'pretty' : 'json');
  if (format !== 'pretty') return undefined;
  try {
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    return pretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' });
  } catch {
    // A production install without the pretty printer keeps JSON.
    return undefined;
  }
}

/** Creates the process logger: pino JSON where every line written inside a span carries `trace_id` and `span_id`. */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name,
      level,
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: () => activeTraceIds(),
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'token'], censor: '[redacted]' },
    },
    destination(),
  );
}

/** The logger type every module receives. */
export type { Logger };
