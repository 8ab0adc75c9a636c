import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { errorMessage } from '../errors.js';
import { ensureTopics } from '../kafka/topics.js';
import { singleSubcommandExit, withConfigAdmin } from './common.js';

const USAGE = `Usage: hookstream topics create --config FILE

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
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    io.stderr.write(`hookstream topics: ${errorMessage(err)}\n\n${USAGE}`);
    return 2;
  }
  const exit = singleSubcommandExit('topics', 'create', parsed, USAGE, io);
  if (exit !== undefined) return exit;
  const { values } = parsed;

  const config = await loadConfig({
    ...(values.config === undefined ? {} : { path: values.config }),
    // Warnings about unused Sockudo keys are noise for this command.
    onWarning: () => undefined,
  });
  const result = await withConfigAdmin(config, (admin) => ensureTopics(admin, config), 'topics');
  for (const t of result.existing) io.stdout.write(`exists   ${t.name} (${t.role}, ${t.partitions} partitions)\n`);
  for (const t of result.created) io.stdout.write(`created  ${t.name} (${t.role}, ${t.partitions} partitions)\n`);
  for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
  io.stdout.write(`${result.created.length} created, ${result.existing.length} already existed\n`);
  return 0;
}
