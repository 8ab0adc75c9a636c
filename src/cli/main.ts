#!/usr/bin/env node
/**
 * `hookstream <command>`: one file per command under src/cli, loaded on demand so that
 * `hookstream kafka status` does not pay for the AWS SDK.
 */
import { HookstreamError, UsageError, errorMessage, isKafkaError } from '../errors.js';

/** A command module: `run` throws usage mistakes, and main says them with `USAGE`. */
type CommandModule = { run(args: string[]): Promise<number>; USAGE: string };
type Command = { summary: string; load: () => Promise<CommandModule> };

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

Run "hookstream <command> --help" (or "hookstream help <command>") for a command's options;
"hookstream --version" prints the version.
`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(`hookstream: give a command\n\n${USAGE}`);
    return 2;
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    const { VERSION } = await import('../version.js');
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  // `hookstream help start` is `hookstream start --help`.
  const [commandName, args] = name === 'help' ? [rest[0]!, ['--help']] : [name, rest];
  const command = COMMANDS[commandName];
  if (!command) {
    process.stderr.write(`hookstream: unknown command "${commandName}"\n\n${USAGE}`);
    return 2;
  }
  const mod = await command.load();
  try {
    return await mod.run(args);
  } catch (err) {
    // Usage mistakes get exit code 2 and are said here for every command alike: a missing
    // or unknown subcommand or option with the command's usage, a bad value in one line.
    // Other expected failures (bad config, missing java, a broker that does not answer) one
    // line and 1; anything else, a bug, a stack.
    const usage = usageMistake(err);
    if (usage === 'shape') {
      process.stderr.write(`hookstream ${commandName}: ${parseArgsMessage(err)}\n\n${mod.USAGE}`);
      return 2;
    }
    if (usage === 'value') {
      process.stderr.write(`hookstream ${commandName}: ${errorMessage(err)} (see "hookstream ${commandName} --help")\n`);
      return 2;
    }
    // Commands name the brokers of kafkajs failures (withKafkaErrors); one that slipped past still gets one line.
    if (err instanceof HookstreamError || isKafkaError(err)) process.stderr.write(`hookstream ${commandName}: ${errorMessage(err)}\n`);
    else process.stderr.write(`hookstream ${commandName}: ${errorMessage(err)}\n${err instanceof Error ? (err.stack ?? '') : ''}\n`);
    return 1;
  }
}

/**
 * 'shape': Node's parseArgs errors (unknown option, missing value, stray argument) and
 * UsageError (missing subcommand or option); 'value': hookstream's other HS_USAGE errors.
 */
function usageMistake(err: unknown): 'shape' | 'value' | undefined {
  if (err instanceof UsageError) return 'shape';
  if (err instanceof HookstreamError) return err.code === 'HS_USAGE' ? 'value' : undefined;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_') ? 'shape' : undefined;
}

/**
 * Node appends to "Unknown option '--x'" advice on passing "--x" as a positional after
 * "--", which no hookstream command takes: only confusing here.
 */
function parseArgsMessage(err: unknown): string {
  return errorMessage(err).replace(/\. To specify a positional argument starting with a '-'.*$/s, '');
}

// kafkajs 2.2.4 computes a negative timeout in its request queue (tulios/kafkajs#1751),
// which Node 24 answers with a TimeoutNegativeWarning (the timer runs after 1 ms, which is
// what kafkajs meant). It says nothing an operator can act on, and three lines of it on
// stderr would bury a command's one-line error, so the CLI drops that warning alone.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: unknown } | undefined)?.type;
  if (type === 'TimeoutNegativeWarning' || (warning instanceof Error && warning.name === 'TimeoutNegativeWarning')) return;
  (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

// `hookstream config check | head -1`: once the reader is gone nothing more can be said.
// End quietly, as Unix tools do on SIGPIPE, not with an unhandled EPIPE stack.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`hookstream: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
