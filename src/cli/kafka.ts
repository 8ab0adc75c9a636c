/**
 * `hookstream kafka start | stop | status`: a real single-node Kafka broker for development
 * and tests, run from Maven Central jars with the local Java, so no Docker is needed.
 */
import { relative, isAbsolute } from 'node:path';
import { parseArgs } from 'node:util';
import { HookstreamError, UsageError, errorMessage } from '../errors.js';
import { DEFAULT_DIR, DEFAULT_PORT, start, status, stop } from '../kafka/local/index.js';

export const USAGE = `Usage: hookstream kafka <start|stop|status> [options]

  start    start a single-node Kafka 4.1 broker (KRaft) in the background and wait until it answers
  stop     stop the broker started from --dir
  status   tell whether a broker answers at the port, and whether it is the broker of --dir
           (exit code 0 when one answers, even another's; 3 when none answers and none runs)

Options:
  -p, --port <port>           broker port on 127.0.0.1 (default ${DEFAULT_PORT}; status: the port in the dir's server.properties)
  -d, --dir <dir>             broker directory: config, data, logs, kafka.pid (default ${DEFAULT_DIR})
      --controller-port <p>   KRaft controller port, start only (default: port + 1 when free)
  -h, --help                  show this help

Needs Java 17+ to run and Apache Maven once to fetch the jars (cached in
~/.cache/hookstream, or $HOOKSTREAM_KAFKA_CACHE). Topics are not auto-created.
`;

const OPTIONS = {
  port: { type: 'string', short: 'p' },
  dir: { type: 'string', short: 'd' },
  'controller-port': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function run(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === '--help' || subcommand === '-h' || subcommand === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  // Usage mistakes are thrown: main says them, with this USAGE where the shape is wrong.
  if (subcommand === undefined) throw new UsageError('expected a subcommand: start, stop or status');
  try {
    const { values } = parseArgs({ args: rest, options: OPTIONS, strict: true, allowPositionals: false });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const dir = values.dir ?? DEFAULT_DIR;
    const port = values.port === undefined ? undefined : parsePort(values.port, '--port');
    if (values['controller-port'] !== undefined && subcommand !== 'start') {
      throw usage('--controller-port only applies to "start"');
    }
    switch (subcommand) {
      case 'start':
        return await runStart(dir, port, values['controller-port']);
      case 'stop':
        if (port !== undefined) throw usage('"stop" takes --dir, not --port: the broker is found through DIR/kafka.pid');
        return await runStop(dir);
      case 'status':
        return await runStatus(dir, port);
      default:
        throw new UsageError(`unknown subcommand "${subcommand}"`);
    }
  } catch (err) {
    if ((err instanceof HookstreamError && err.code === 'HS_USAGE') || isParseArgsError(err)) throw err;
    process.stderr.write(`hookstream kafka ${subcommand}: ${errorMessage(err)}\n`);
    return 1;
  }
}

async function runStart(dir: string, port: number | undefined, controllerPort: string | undefined): Promise<number> {
  const result = await start({
    dir,
    port,
    controllerPort: controllerPort === undefined ? undefined : parsePort(controllerPort, '--controller-port'),
    onProgress: (message) => process.stdout.write(`${message}\n`),
  });
  const where = `${result.brokers} (pid ${result.pid}, dir ${display(result.dir)})`;
  if (result.alreadyRunning) {
    process.stdout.write(`Kafka is already running at ${where}\n`);
  } else {
    process.stdout.write(
      `Kafka is running at ${where}, ready in ${(result.startupMs / 1000).toFixed(1)} s\n` +
        `Logs: ${display(result.dir)}/logs/server.log; stop it with: hookstream kafka stop${dirFlag(dir)}\n`,
    );
  }
  return 0;
}

async function runStop(dir: string): Promise<number> {
  const result = await stop({ dir });
  if (!result.stopped) {
    process.stdout.write(`Kafka is not running (dir ${display(dir)})\n`);
  } else {
    const how = result.killed ? 'killed (it ignored SIGTERM for 30 s)' : 'stopped';
    process.stdout.write(`Kafka ${how} (pid ${result.pid}, dir ${display(dir)})\n`);
  }
  return 0;
}

async function runStatus(dir: string, port: number | undefined): Promise<number> {
  const result = await status({ dir, port });
  if (!result.running && result.answering) {
    // Started from another directory, or not by hookstream at all (Docker): usable, but
    // "kafka stop" here cannot stop it, and "kafka start" here would find the port taken.
    process.stdout.write(
      `A Kafka broker answers at ${result.brokers}, but none runs from dir ${display(result.dir)}: it was started elsewhere (another dir, Docker); hookstream can use it, "hookstream kafka stop${dirFlag(dir)}" cannot stop it\n`,
    );
    return 0;
  }
  if (!result.running) {
    process.stdout.write(`Kafka is not running (dir ${display(result.dir)}) and nothing answers at ${result.brokers}; start it with: hookstream kafka start${port === undefined ? '' : ` --port ${port}`}${dirFlag(dir)}\n`);
    return 3;
  }
  if (!result.answering) {
    process.stdout.write(
      `Kafka's process is up (pid ${result.pid}) but does not answer at ${result.brokers}: still starting, or see ${display(result.dir)}/logs/server.out\n`,
    );
    return 1;
  }
  process.stdout.write(`Kafka is running at ${result.brokers} (pid ${result.pid}, dir ${display(result.dir)})\n`);
  return 0;
}

function parsePort(text: string, flag: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw usage(`${flag} must be a port from 1 to 65535, got "${text}"`);
  return port;
}

function usage(message: string): HookstreamError {
  return new HookstreamError('HS_USAGE', message);
}

function isParseArgsError(err: unknown): err is Error {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).code!.startsWith('ERR_PARSE_ARGS');
}

/** Paths under the cwd are shown as the user would type them. */
function display(dir: string): string {
  const rel = relative(process.cwd(), dir);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? dir : rel;
}

function dirFlag(dir: string): string {
  return dir === DEFAULT_DIR ? '' : ` --dir ${/\s/.test(dir) ? JSON.stringify(dir) : dir}`;
}
