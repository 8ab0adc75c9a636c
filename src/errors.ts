/**
 * One error type for the whole service. Code decides what happens next (retry, dead-letter,
 * exit), never the message text: `code` is stable, `canRetry` says whether trying the same
 * thing again may succeed, and `cause` keeps the original error for logs.
 */
export type ErrorCode =
  | 'HS_CONFIG_INVALID'
  | 'HS_CONFIG_UNREADABLE'
  | 'HS_DECODE_BAD_MAGIC'
  | 'HS_DECODE_UNKNOWN_FINGERPRINT'
  | 'HS_DECODE_CORRUPT'
  | 'HS_EVENT_INVALID'
  | 'HS_PRODUCER_BUFFER_FULL'
  | 'HS_PRODUCER_CLOSED'
  | 'HS_LOCAL_KAFKA'
  | 'HS_MISSING_TOOL'
  | 'HS_DELIVERY_FAILED'
  /** The command line is wrong (exit code 2). */
  | 'HS_USAGE'
  /** The command is right, but the world is not ready for it: topics missing, a group still live, no broker (exit code 1). */
  | 'HS_PRECONDITION';

export class HookstreamError extends Error {
  readonly code: ErrorCode;
  readonly canRetry: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; canRetry?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HookstreamError';
    this.code = code;
    this.canRetry = options.canRetry ?? false;
  }
}

/**
 * A command line that lacks, or has an unknown, subcommand or option: the CLI says it with
 * the command's usage (exit 2). A bad value is a plain `HS_USAGE` error, said in one line.
 */
export class UsageError extends HookstreamError {
  constructor(message: string) {
    super('HS_USAGE', message);
    this.name = 'UsageError';
  }
}

/** Raised when a Kafka record cannot be turned into a WebhookEvent; such records are dead-lettered. */
export class DecodeError extends HookstreamError {
  constructor(code: 'HS_DECODE_BAD_MAGIC' | 'HS_DECODE_UNKNOWN_FINGERPRINT' | 'HS_DECODE_CORRUPT', message: string, cause?: unknown) {
    super(code, message, { cause });
    this.name = 'DecodeError';
  }
}

/** Raised for configuration that breaks a rule; `path` is the JSON path, e.g. `$.kafka.partitions`. */
export class ConfigError extends HookstreamError {
  readonly path: string;
  constructor(path: string, rule: string) {
    super('HS_CONFIG_INVALID', `${path}: ${rule}`);
    this.name = 'ConfigError';
    this.path = path;
  }
}

/** Raised for an event that a producer refuses to send (e.g. member_added without user_id). */
export class EventValidationError extends HookstreamError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('HS_EVENT_INVALID', message);
    this.name = 'EventValidationError';
    this.field = field;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `err` and the errors it was caused by, outermost first. */
export function errorChain(err: unknown): Error[] {
  const chain: Error[] = [];
  for (let e = err; e instanceof Error && !chain.includes(e); e = e.cause) chain.push(e);
  return chain;
}

/**
 * Whether `err`, or an error it was caused by, comes from kafkajs. By name, so that the CLI
 * can tell without loading kafkajs (its error classes all start with KafkaJS).
 */
export function isKafkaError(err: unknown): err is Error {
  return errorChain(err).some((e) => e.name.startsWith('KafkaJS'));
}
