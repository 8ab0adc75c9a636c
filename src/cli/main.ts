#!/usr/bin/env node
/**
 * `hookstream <command>`: one file per command under src/cli, loaded on demand so that
 * `hookstream kafka status` does not pay for the AWS SDK.
 */
import { HookstreamError, errorMessage, isKafkaError } from '../errors.js';

type Command = { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> };

const COMMANDS: Record<string, Command> = {
  start: { summary: 'run the delivery service (consumer group, retry tiers, metrics)', load: () => import('./start.js') },
  kafka: { summary: 'start | stop | status a local single-node Kafka broker (no Docker needed)', load: () => import('./kafka.js') },
  topics: { summary: 'create the events, retry and dead-letter topics', load: () => import('./topics.js') },
  config: { summary: 'check a config file: what the service would do with it, and every warning', load: () => import('./config.js') },
  produce: { summary: 'publish NDJSON events from a file or stdin', load: () => import('./produce.js') },
  lag: { summary: 'committed offset, end offset and lag per partition, events topic and retry tiers', load: () => import('./lag.js') },
  dlq: { summary: 'list the dead-letter topic, requeue its entries once their endpoints are fixed', load: () => import('./dlq.js') },
  redeliver: { summary: "deliver an app's events of a time range again, while the service runs", load: () => import('./redeliver.js') },
  replay: { summary: "move the group's offsets to a time or offset so events are delivered again", load: () => import('./replay.js') },
  demo: { summary: 'run a live demo: socket-server nodes, Kafka, hookstream and signature-checking receivers', load: () => import('./demo.js') },
};

export const USAGE = `hookstream: webhooks of Pusher-compatible socket servers, delivered through Apache Kafka

Usage: hookstream <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Run "hookstream <command> --help" for a command's options.
`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    const { VERSION } = await import('../version.js');
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`hookstream: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    // A usage mistake (an unknown option, a bad value) gets one line and exit code 2, the
    // same in every command; other expected failures (bad config, missing java, a broker
    // that does not answer) one line and 1; anything else, a bug, a stack.
    if (isUsageError(err)) {
      process.stderr.write(`hookstream ${name}: ${errorMessage(err)} (see "hookstream ${name} --help")\n`);
      return 2;
    }
    // Commands name the brokers of kafkajs failures (withKafkaErrors); one that slipped past still gets one line.
    if (err instanceof HookstreamError || isKafkaError(err)) process.stderr.write(`hookstream ${name}: ${errorMessage(err)}\n`);
    else process.stderr.write(`hookstream ${name}: ${errorMessage(err)}\n${err instanceof Error ? (err.stack ?? '') : ''}\n`);
    return 1;
  }
}

/** Node's parseArgs errors (unknown option, missing value) and hookstream's HS_USAGE. */
function isUsageError(err: unknown): boolean {
  if (err instanceof HookstreamError) return err.code === 'HS_USAGE';
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`hookstream: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
