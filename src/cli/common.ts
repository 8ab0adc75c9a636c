import type { Admin } from 'kafkajs';
import { loadConfig } from '../config/index.js';
import type { HookstreamConfig } from '../config/types.js';
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
