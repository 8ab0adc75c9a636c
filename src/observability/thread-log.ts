import { Writable } from 'node:stream';
import { createLogger, type Logger } from './logger.js';

/**
 * Logging across a worker-thread boundary: a worker logs through a pino logger whose lines
 * are posted to the main thread, which re-logs them through its own logger. So every line
 * ends up in one stream, with the main logger's destination and redaction.
 */

/** In a worker: a logger at `level` whose JSON lines go to `post`. */
export function threadLogger(level: string, post: (line: string) => void): Logger {
  return createLogger({
    level,
    destination: new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        post(chunk.toString());
        callback();
      },
    }),
  });
}

const PINO_LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** On the main thread: logs one line that a `threadLogger` wrote, tagged with `thread`. */
export function relayLogLine(logger: Logger, line: string, thread: string): void {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  // pino's own fields are the main logger's to write; the rest is what the thread logged.
  const { level, msg, time, pid, hostname, name, ...fields } = entry;
  const method = PINO_LEVELS[Number(level)] ?? 'info';
  logger[method]({ ...fields, thread }, typeof msg === 'string' ? msg : '');
}
