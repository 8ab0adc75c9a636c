import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type LogEntry, type RetryOptions, type SASLOptions, type logCreator } from 'kafkajs';
import { pino, type Logger } from 'pino';
import type { KafkaConfig } from '../config/types.js';
import { ConfigError, HookstreamError, errorChain, errorMessage, isKafkaError } from '../errors.js';
import { registerCodecs } from './compression.js';

/** How to reach the brokers beyond their addresses: TLS and SASL, as kafkajs takes them. */
export interface KafkaConnection {
  ssl?: ConnectionOptions;
  sasl?: SASLOptions;
}

export interface CreateKafkaOptions {
  /** Bootstrap brokers as `host:port`. */
  brokers: string[];
  /** Client id that brokers see in their logs and quotas. */
  clientId: string;
  /**
   * Where kafkajs logs go. kafkajs' own level follows the logger's level, so a logger at
   * `info` does not make kafkajs build debug entries that would be thrown away.
   * @defaultValue a pino logger on stderr at `warn`
   */
  logger?: Logger;
  /**
   * kafkajs' retry policy for connections and requests.
   * @defaultValue kafkajs' own: 5 retries from 300 ms, at most 30 s
   */
  retry?: RetryOptions;
  /** TLS and SASL (see `kafkaConnection`). @defaultValue plain TCP, no authentication */
  connection?: KafkaConnection;
}

/**
 * The one place a kafkajs `Kafka` is built, so every component (producer, consumer, admin,
 * CLI) logs through pino the same way instead of through kafkajs' console logger.
 */
export function createKafka(options: CreateKafkaOptions): Kafka {
  // Batches of any codec Kafka producers use can then be read (see compression.ts).
  registerCodecs();
  // stderr, not stdout: CLI commands print their results on stdout.
  const logger = options.logger ?? pino({ name: 'hookstream', level: 'warn' }, pino.destination(2));
  return new Kafka({
    brokers: options.brokers,
    clientId: options.clientId,
    logLevel: kafkaLevelFor(logger.level),
    logCreator: pinoLogCreator(logger),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.connection?.ssl ? { ssl: options.connection.ssl } : {}),
    ...(options.connection?.sasl ? { sasl: options.connection.sasl } : {}),
  });
}

/**
 * The TLS and SASL settings of `kafka.ssl` and `kafka.sasl`, with the PEM files read. A
 * file that cannot be read is a config error naming the setting, at start-up, instead of
 * a TLS failure on every connection attempt.
 */
export function kafkaConnection(kafka: Pick<KafkaConfig, 'ssl' | 'sasl'>): KafkaConnection {
  const out: KafkaConnection = {};
  if (kafka.ssl) {
    const { ca_file, cert_file, key_file, reject_unauthorized } = kafka.ssl;
    const read = (file: string, key: string): string => {
      try {
        return readFileSync(file, 'utf8');
      } catch (err) {
        throw new ConfigError(`$.kafka.ssl.${key}`, `cannot read ${file}: ${errorMessage(err)}`);
      }
    };
    out.ssl = {
      rejectUnauthorized: reject_unauthorized,
      ...(ca_file !== undefined ? { ca: read(ca_file, 'ca_file') } : {}),
      ...(cert_file !== undefined ? { cert: read(cert_file, 'cert_file') } : {}),
      ...(key_file !== undefined ? { key: read(key_file, 'key_file') } : {}),
    };
  }
  if (kafka.sasl) {
    const { mechanism, username, password } = kafka.sasl;
    out.sasl = { mechanism, username, password };
  }
  return out;
}

/** Maps a pino level name to the most verbose kafkajs level that pino would still write. */
export function kafkaLevelFor(level: string): logLevel {
  switch (level) {
    case 'trace':
    case 'debug':
      return logLevel.DEBUG;
    case 'info':
      return logLevel.INFO;
    case 'warn':
      return logLevel.WARN;
    case 'error':
    case 'fatal':
      return logLevel.ERROR;
    default:
      // 'silent' and custom levels: emit nothing rather than guess.
      return logLevel.NOTHING;
  }
}

/** A kafkajs logCreator writing to `logger`, one child per kafkajs namespace. */
export function pinoLogCreator(logger: Logger): logCreator {
  const base = logger.child({ component: 'kafkajs' });
  return () => (entry: LogEntry) => {
    // kafkajs puts `message`, `timestamp` and `logger: 'kafkajs'` into `log`; pino has its
    // own time and msg, and `component` says where it came from.
    const { message } = entry.log;
    const bindings: Record<string, unknown> = { namespace: entry.namespace, ...entry.log };
    delete bindings.message;
    delete bindings.timestamp;
    delete bindings.logger;
    switch (entry.level) {
      case logLevel.ERROR:
        // kafkajs logs every error response at error level, also those it then retries and
        // gets past (a coordinator still loading after start-up); failures that stay
        // failures reach the caller as rejected promises, so these are warnings.
        if (entry.namespace === 'Connection' && typeof message === 'string' && message.startsWith('Response ')) base.warn(bindings, message);
        else base.error(bindings, message);
        break;
      case logLevel.WARN:
        base.warn(bindings, message);
        break;
      case logLevel.INFO:
        base.info(bindings, message);
        break;
      case logLevel.DEBUG:
        base.debug(bindings, message);
        break;
      default:
        break;
    }
  };
}

/**
 * `Promise.all` for requests on one client that waits for every request to settle before
 * it rejects with the first failure. With `Promise.all` the caller's `finally` disconnects
 * the client as soon as one request fails, while kafkajs still retries the others; such a
 * retry connects the client again, and the process never exits.
 */
export async function settleAll<T extends unknown[]>(requests: readonly [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const results = await Promise.allSettled(requests);
  const values = results.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
  return values as T;
}

/** A broker that does not answer, said the same way by every command. */
export function noBrokerMessage(brokers: readonly string[], source: string): string {
  return `no Kafka broker answers at ${brokers.join(',')} (from ${source})`;
}

/**
 * A kafkajs failure as one line that names the brokers (`source` says where they came
 * from: KAFKA_BROKERS or kafka.brokers), the original kept as the cause; anything else is
 * returned as it is. kafkajs' own message names neither the brokers nor the setting, and
 * its stack (a NonRetriable wrapping the real error) only says where inside kafkajs it gave up.
 */
export function kafkaFailure(err: unknown, brokers: readonly string[], source: string): unknown {
  if (!isKafkaError(err)) return err;
  const unreachable = errorChain(err).some((e) => e.name === 'KafkaJSConnectionError' || e.name === 'KafkaJSBrokerNotFound');
  const prefix = unreachable ? noBrokerMessage(brokers, source) : `Kafka at ${brokers.join(',')} (from ${source})`;
  return new HookstreamError('HS_PRECONDITION', `${prefix}: ${kafkaMessage(err)}`, { cause: err });
}

/**
 * kafkajs' message, with the errors it aggregates: a failed createTopics says only "Topic
 * creation errors" and keeps each topic's reason in `errors`.
 */
function kafkaMessage(err: Error): string {
  const inner = (err as { errors?: unknown }).errors;
  if (!Array.isArray(inner) || inner.length === 0) return err.message;
  const reasons = inner.map((e: unknown) => {
    const topic = (e as { topic?: unknown } | null)?.topic;
    return `${typeof topic === 'string' ? `${topic}: ` : ''}${errorMessage(e)}`;
  });
  return `${err.message}: ${[...new Set(reasons)].join('; ')}`;
}
