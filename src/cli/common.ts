import type { Admin } from 'kafkajs';
import { loadConfig } from '../config/index.js';
import type { HookstreamConfig } from '../config/types.js';
import { HookstreamError } from '../errors.js';
import { createKafka } from '../kafka/client.js';
import { pino } from 'pino';

/** Loads `--config` (or HOOKSTREAM_CONFIG); warnings go to stderr so stdout stays parseable. */
export function loadCliConfig(path: string | undefined): Promise<HookstreamConfig> {
  return loadConfig({ ...(path ? { path } : {}), onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
}

/** Runs `fn` with a connected admin client of the config's cluster. */
export async function withConfigAdmin<T>(config: HookstreamConfig, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const admin = createKafka({ brokers: config.kafka.brokers, clientId: `${config.kafka.client_id}-cli`, logger }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
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
 * For a command with one subcommand (`topics create`, `config check`): the exit code for
 * `--help` (0, usage on stdout) or a missing or wrong subcommand (2, said on stderr with
 * the usage); undefined when the command should go on.
 */
export function singleSubcommandExit(
  command: string,
  subcommand: string,
  parsed: { values: { help?: boolean | undefined }; positionals: string[] },
  usage: string,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): number | undefined {
  if (parsed.values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const { positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] !== subcommand) {
    io.stderr.write(`hookstream ${command}: expected the subcommand "${subcommand}"${positionals.length > 0 ? `, got "${positionals.join(' ')}"` : ''}\n\n${usage}`);
    return 2;
  }
  return undefined;
}
