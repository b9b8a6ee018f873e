import pino, { type Logger } from 'pino';
import { activeTraceIds } from './tracing';

/** Creates the process logger: pino JSON where every line written inside a span carries `trace_id` and `span_id`. */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => activeTraceIds(),
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'token'], censor: '[redacted]' },
  });
}

/** The logger type every module receives. */
export type { Logger };
