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
