import { parseArgs } from 'node:util';
import { ensureTopics } from '../kafka/topics.js';
import { loadCliConfig, singleSubcommandHelp, withConfigAdmin } from './common.js';

export const USAGE = `Usage: hookstream topics create --config FILE

Creates the events topic, one retry topic per retry.delays_ms entry and the dead-letter
topic, with kafka.partitions partitions and kafka.replication_factor replicas. Topics
that exist are reported and left as they are. KAFKA_BROKERS overrides kafka.brokers.
`;

/** Where a command writes; the process streams unless a test passes its own. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export async function run(args: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  // Usage mistakes are thrown: main says them with this command's USAGE.
  const parsed = parseArgs({
    args,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
  });
  if (singleSubcommandHelp('create', parsed, USAGE, io.stdout)) return 0;
  // Warnings about unused Sockudo keys are noise for this command.
  const config = await loadCliConfig(parsed.values.config, () => undefined);
  const result = await withConfigAdmin(config, (admin) => ensureTopics(admin, config), 'topics');
  for (const t of result.existing) io.stdout.write(`exists   ${t.name} (${t.role}, ${t.partitions} partitions)\n`);
  for (const t of result.created) io.stdout.write(`created  ${t.name} (${t.role}, ${t.partitions} partitions)\n`);
  for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
  io.stdout.write(`${result.created.length} created, ${result.existing.length} already existed\n`);
  return 0;
}
