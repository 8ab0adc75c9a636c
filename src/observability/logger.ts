import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that can carry secrets anywhere we log: app secrets, webhook header values
 * (Authorization, API tokens) and request headers. pino removes them before serializing,
 * so a careless `log.info({ app })` cannot leak a secret.
 */
export const REDACT_PATHS = [
  'secret',
  '*.secret',
  'app.secret',
  'apps[*].secret',
  'headers',
  '*.headers',
  'webhook.headers',
  'request.headers',
  'authorization',
  '*.authorization',
  'config.app_manager.array.apps[*].secret',
];

/** The service logger: JSON lines on stdout, level from LOG_LEVEL (default info). */
export function createLogger(options: { name?: string; level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const opts = {
    name: options.name ?? 'hookstream',
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/** A logger that drops everything, for library use and tests that do not inspect logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
