import { pino, type Logger } from 'pino';
import { HookstreamError } from '../errors.js';

export type { Logger };

/**
 * Paths that can carry secrets anywhere we log: app secrets, webhook header values
 * (Authorization, API tokens), request headers, and webhook URLs (which may hold a user,
 * a password or a `?token=`). pino removes them before serializing, so a careless
 * `log.info({ app })`, `log.info({ batch })` or `log.info({ config })` cannot leak a
 * secret. pino's `*` matches one level, so each shape is listed to the depth our objects
 * have (a batch holds its app and webhook; a parsed config holds apps holding webhooks).
 */
export const REDACT_PATHS = [
  'secret',
  '*.secret',
  '*.*.secret',
  'apps[*].secret',
  '*.apps[*].secret',
  'config.app_manager.array.apps[*].secret',
  'headers',
  '*.headers',
  '*.*.headers',
  'webhooks[*].headers',
  '*.webhooks[*].headers',
  '*.*.webhooks[*].headers',
  'apps[*].webhooks[*].headers',
  '*.apps[*].webhooks[*].headers',
  'authorization',
  '*.authorization',
  '*.*.authorization',
  'target.url',
  '*.target.url',
  '*.*.target.url',
  'webhooks[*].target.url',
  '*.webhooks[*].target.url',
  '*.*.webhooks[*].target.url',
  'apps[*].webhooks[*].target.url',
  '*.apps[*].webhooks[*].target.url',
];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * LOG_LEVEL when set (and not blank), else `fallback`. A level pino does not know is
 * refused here in one line naming the valid ones: pino's own "unknown level" error comes
 * with a stack from inside pino.
 */
export function envLogLevel(fallback: string, env: NodeJS.ProcessEnv = process.env): string {
  const level = env.LOG_LEVEL?.trim();
  if (level === undefined || level === '') return fallback;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new HookstreamError('HS_CONFIG_INVALID', `LOG_LEVEL: ${JSON.stringify(level)} is not a log level; use one of ${LOG_LEVELS.join(', ')}`);
  }
  return level;
}

/** The service logger: JSON lines on stdout, level from LOG_LEVEL (default info). */
export function createLogger(options: { name?: string; level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? envLogLevel('info');
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
