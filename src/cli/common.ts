import type { Admin, Kafka } from 'kafkajs';
import { brokersFromEnv, loadConfig } from '../config/index.js';
import type { HookstreamConfig } from '../config/types.js';
import { HookstreamError, UsageError } from '../errors.js';
import { createKafka, kafkaConnection, kafkaFailure } from '../kafka/client.js';
import { createLogger, envLogLevel, type Logger } from '../observability/logger.js';

/**
 * `--config`, else HOOKSTREAM_CONFIG, else `fallback`. Neither given is a usage mistake
 * (exit 2, with the command's usage): the fix is on the command line.
 */
export function configPath(flag: string | undefined, fallback?: string): string {
  const path = flag || process.env.HOOKSTREAM_CONFIG || fallback;
  if (!path) throw new UsageError('no config file: pass --config FILE or set HOOKSTREAM_CONFIG');
  return path;
}

/** Loads `--config` (or HOOKSTREAM_CONFIG); warnings go to stderr so stdout stays parseable. */
export function loadCliConfig(flag: string | undefined, onWarning = (m: string): void => void process.stderr.write(`warning: ${m}\n`)): Promise<HookstreamConfig> {
  return loadConfig({ path: configPath(flag), onWarning });
}

/** A one-shot command's logger: stderr (stdout carries the result), LOG_LEVEL, else warn. */
export function cliLogger(): Logger {
  return createLogger({ level: envLogLevel('warn'), destination: process.stderr });
}

/**
 * The logger for a one-shot command's Kafka clients. kafkajs logs every failed connection
 * attempt and every retry, a dozen JSON lines for a broker that is down, before the failure
 * reaches the command, which then says it in one line (withKafkaErrors): so its logs show
 * only when LOG_LEVEL is set. The long-running `start` logs them always, for its operators.
 */
export function cliKafkaLogger(): Logger {
  return createLogger({ level: envLogLevel('silent'), destination: process.stderr });
}

/** A Kafka client for a one-shot command, logging through cliKafkaLogger. */
export function cliKafka(config: HookstreamConfig, name: string): Kafka {
  return createKafka({ brokers: config.kafka.brokers, clientId: `${config.kafka.client_id}-${name}`, connection: kafkaConnection(config.kafka), logger: cliKafkaLogger() });
}

/** Where the config's brokers came from, for messages: KAFKA_BROKERS overrides kafka.brokers. */
export function brokerSource(): string {
  return brokersFromEnv() ? 'KAFKA_BROKERS' : 'kafka.brokers';
}

/** Runs `fn`; a kafkajs failure in it becomes one line naming the brokers (exit 1, no stack). */
export async function withKafkaErrors<T>(config: HookstreamConfig, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw kafkaFailure(err, config.kafka.brokers, brokerSource());
  }
}

/** Runs `fn` with a connected admin client of the config's cluster. */
export function withConfigAdmin<T>(config: HookstreamConfig, fn: (admin: Admin) => Promise<T>, name = 'cli'): Promise<T> {
  const admin = cliKafka(config, name).admin();
  return withKafkaErrors(config, async () => {
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  });
}

/**
 * A whole number >= 0 given on the command line. `Number()` would read "" and " " as 0, so
 * `--partitions 3,` would also select partition 0; digits only are accepted.
 */
export function parseWholeNumber(text: string, flag: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new HookstreamError('HS_USAGE', `${flag}: ${JSON.stringify(text)} is not a whole number >= 0`);
  return n;
}

/**
 * For a command with one subcommand (`topics create`, `config check`): true once `--help`
 * has printed the usage (exit 0); a missing or wrong subcommand is a UsageError.
 */
export function singleSubcommandHelp(
  subcommand: string,
  parsed: { values: { help?: boolean | undefined }; positionals: string[] },
  usage: string,
  stdout: NodeJS.WritableStream,
): boolean {
  if (parsed.values.help) {
    stdout.write(usage);
    return true;
  }
  const { positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] !== subcommand) {
    throw new UsageError(`expected the subcommand "${subcommand}"${positionals.length > 0 ? `, got "${positionals.join(' ')}"` : ''}`);
  }
  return false;
}
