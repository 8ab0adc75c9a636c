import { parseArgs } from 'node:util';
import { HookstreamError, errorMessage } from '../errors.js';

export const USAGE = `Usage: hookstream demo [--duration S] [--rate N] [--fail-rate F] [--keep-kafka] [--keep-topics]

Runs everything on this machine and shows it live: three simulated socket-server nodes
(the producer library, node ids ws-node-1..3) publish a realistic mix of events for three
apps (connections, presence joins and leaves with member data, client events, channel
occupied/vacated, subscription counts); hookstream runs in this process with two webhooks
per app, one filtered to presence channels; two local receivers check every signature the
way the official pusher SDK does, and one answers 503 now and then so retries show.

The screen (refreshed once a second; one plain line per second when stdout is not a
terminal) shows events/s published and delivered, batches, p50/p99 latency from the
event's time_ms to its arrival at a receiver, retries, dead letters and invalid
signatures, which must stay 0.

Kafka: --brokers or KAFKA_BROKERS if given (nothing is started then); else the broker at
127.0.0.1:9092; else the local broker (as "hookstream kafka start": Java 17+, and Maven on
the first run for the jars) is started, and stopped again when the demo ends unless
--keep-kafka. Each run makes topics hookstream.demo.<run id> and deletes them at the end.

Ctrl-C stops everything cleanly (a second Ctrl-C exits at once). The exit code is 1 when a
receiver saw an invalid signature, or when a --duration run delivered nothing.

Options:
  -d, --duration S     publish for S seconds once everything is up, then stop by itself
                       (default: run until Ctrl-C)
      --rate N         events per second from the three nodes together (default 200)
      --fail-rate F    share of the flaky receiver's answers that are 503 (default 0.05)
      --brokers LIST   Kafka bootstrap servers, host:port[,host:port] (else KAFKA_BROKERS)
      --keep-kafka     leave a broker that the demo started running
      --keep-topics    keep the run's topics and consumer groups
      --plain          one line per second even on a terminal
      --log FILE       logs of the service and Kafka clients (default .hookstream/demo.log)
  -h, --help
`;

export interface DemoIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

export async function run(args: string[], io: DemoIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  // Usage mistakes are thrown: main says them (with this USAGE for an unknown option).
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      duration: { type: 'string', short: 'd' },
      rate: { type: 'string' },
      'fail-rate': { type: 'string' },
      brokers: { type: 'string' },
      'keep-kafka': { type: 'boolean', default: false },
      'keep-topics': { type: 'boolean', default: false },
      plain: { type: 'boolean', default: false },
      log: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const durationS = values.duration === undefined ? undefined : number(values.duration, '--duration', 1, 86_400);
  const rate = values.rate === undefined ? 200 : number(values.rate, '--rate', 1, 20_000);
  const failRate = values['fail-rate'] === undefined ? 0.05 : number(values['fail-rate'], '--fail-rate', 0, 0.9);
  let brokers: string[] | undefined;
  if (values.brokers !== undefined) {
    brokers = values.brokers.split(',').map((b) => b.trim()).filter((b) => b !== '');
    if (brokers.length === 0 || brokers.some((b) => !/^[^\s:]+:\d{1,5}$/.test(b))) throw usage(`--brokers must be host:port[,host:port], got "${values.brokers}"`);
  }

  const { runDemo, summaryText } = await import('../ops/demo.js');
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      io.stderr.write(`\nhookstream demo: second ${signal}, exiting now; a broker the demo started may still run: hookstream kafka stop\n`);
      process.exit(130);
    }
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const live = io.stdout.isTTY === true && !values.plain;
  try {
    const summary = await runDemo({
      ...(durationS === undefined ? {} : { durationS }),
      ...(brokers === undefined ? {} : { brokers }),
      rate,
      failRate,
      keepKafka: values['keep-kafka'],
      keepTopics: values['keep-topics'],
      out: io.stdout,
      live,
      logFile: values.log ?? '.hookstream/demo.log',
      signal: controller.signal,
    });
    io.stdout.write(summaryText(summary));
    if (summary.invalidSignatures > 0) {
      io.stderr.write(`hookstream demo: the receivers rejected ${summary.invalidSignatures} request(s): see the log\n`);
      return 1;
    }
    if (durationS !== undefined && !controller.signal.aborted && summary.delivered === 0) {
      io.stderr.write('hookstream demo: nothing was delivered: see the log\n');
      return 1;
    }
    return 0;
  } catch (err) {
    if (controller.signal.aborted) {
      io.stderr.write(`hookstream demo: stopped while starting (${errorMessage(err)})\n`);
      return 130;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function number(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) throw usage(`${flag} must be a number from ${min} to ${max}, got "${text}"`);
  return value;
}

function usage(message: string): HookstreamError {
  return new HookstreamError('HS_USAGE', message);
}
