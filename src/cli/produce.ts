import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { EventValidationError, errorMessage } from '../errors.js';
import { kafkaConnection } from '../kafka/client.js';
import { requireTopics } from '../kafka/topics.js';
import { createProducer } from '../producer/index.js';
import { cliKafkaLogger, loadCliConfig, withConfigAdmin } from './common.js';

export const USAGE = `Usage: hookstream produce --config FILE [--file EVENTS.ndjson] [--node-id ID]

Publishes webhook events to the events topic (kafka.topic), one JSON object per line, read
from --file or else from stdin. Each object has "app_id", "name" and the fields of that
event kind; "id" and "time_ms" are filled in when absent, "node_id" defaults to --node-id.
Blank lines are skipped. KAFKA_BROKERS overrides kafka.brokers.

A bad line (not JSON, or not a valid event) is reported on stderr with its line number
and reason and is not sent; the good lines are still sent, in order, and the exit code is
1 if any line was bad or could not be sent. Nothing is dropped without a message: fix the
reported lines and send just those again.

Options:
  -c, --config FILE    hookstream config file (else HOOKSTREAM_CONFIG)
  -f, --file FILE      NDJSON events; "-" or absent for stdin
      --node-id ID     node_id for events without one (default: hookstream-cli@<hostname>)
  -h, --help
`;

export interface ProduceIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Most lines in flight (parsed, not yet acknowledged). Reading stops above it, so a huge
 * file does not become a huge heap; it matches the producer's default buffer.
 */
const MAX_OUTSTANDING = 10_000;

export async function run(
  args: string[],
  io: ProduceIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  // Usage mistakes are thrown: main says them with this command's USAGE.
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      file: { type: 'string', short: 'f' },
      'node-id': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }

  const config = await loadCliConfig(values.config, () => undefined);
  const fromFile = values.file !== undefined && values.file !== '-';
  if (fromFile) {
    // Before the broker is asked: a mistyped path is found without a round trip.
    const unreadable = await access(values.file!, constants.R_OK).then(() => undefined, (err: unknown) => err);
    if (unreadable !== undefined) {
      io.stderr.write(`hookstream produce: cannot read --file: ${errorMessage(unreadable)}\n`);
      return 1;
    }
  }
  // Asked before reading a line: a broker that does not answer or a topic that does not
  // exist is one line with its remedy, not the same kafkajs error repeated for every line.
  await withConfigAdmin(config, (admin) => requireTopics(admin, [config.kafka.topic]), 'produce');
  const input = fromFile ? createReadStream(values.file!) : io.stdin;
  // Open errors (missing file) surface through readline's iterator as a rejection.
  const lines = createInterface({ input, crlfDelay: Infinity });

  const producer = createProducer({
    brokers: config.kafka.brokers,
    topic: config.kafka.topic,
    clientId: `${config.kafka.client_id}-produce`,
    connection: kafkaConnection(config.kafka),
    nodeId: values['node-id'] ?? `hookstream-cli@${hostname()}`,
    onBufferFull: 'wait',
    // Failures are reported per line; kafkajs' retry logs only when LOG_LEVEL asks for them.
    logger: cliKafkaLogger(),
  });

  let lineNo = 0;
  let sent = 0;
  let invalid = 0;
  let failed = 0;
  let outstanding = 0;
  let wake: (() => void) | undefined;
  const report = (line: number, reason: string): void => {
    io.stderr.write(`line ${line}: ${reason}\n`);
  };
  const done = (): void => {
    outstanding--;
    if (wake && outstanding < MAX_OUTSTANDING) {
      const w = wake;
      wake = undefined;
      w();
    }
  };

  let readError: unknown;
  try {
    for await (const raw of lines) {
      lineNo++;
      const text = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (text.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        invalid++;
        report(lineNo, `invalid JSON: ${errorMessage(err)}`);
        continue;
      }
      const at = lineNo;
      outstanding++;
      // Validation happens inside publish, before the event is buffered; its rejection
      // arrives before the next line is read, so reports stay in line order.
      producer.publish(parsed as Parameters<typeof producer.publish>[0]).then(
        () => {
          sent++;
          done();
        },
        (err: unknown) => {
          if (err instanceof EventValidationError) {
            invalid++;
            report(at, `invalid event: ${err.message}`);
          } else {
            failed++;
            report(at, `not sent: ${errorMessage(err)}`);
          }
          done();
        },
      );
      if (outstanding >= MAX_OUTSTANDING) await new Promise<void>((resolve) => (wake = resolve));
    }
  } catch (err) {
    readError = err;
  } finally {
    // Sends what was accepted even when reading failed half-way; close never rejects for
    // failed sends, those were reported line by line.
    await producer.close();
  }
  while (outstanding > 0) await new Promise<void>((resolve) => (wake = resolve));

  io.stdout.write(`sent ${sent} event${sent === 1 ? '' : 's'} to ${config.kafka.topic}\n`);
  if (invalid > 0) io.stderr.write(`${invalid} bad line(s) not sent (see above)\n`);
  if (failed > 0) io.stderr.write(`${failed} event(s) failed to send (see above)\n`);
  if (readError !== undefined) {
    io.stderr.write(`hookstream produce: stopped reading after line ${lineNo}: ${errorMessage(readError)}\n`);
    return 1;
  }
  return invalid > 0 || failed > 0 ? 1 : 0;
}
