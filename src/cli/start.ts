import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import type { HookstreamConfig } from '../config/types.js';
import { HookstreamError } from '../errors.js';
import { createKafka, kafkaConnection } from '../kafka/client.js';
import { HANDOFF_OVERHEAD_BYTES, allTopics, ensureTopics, handoffLimitProblem, maxMessageBytes, missingTopicsError, topicNames } from '../kafka/topics.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { HookstreamService } from '../pipeline/service.js';
import { PACKAGE_ROOT } from '../version.js';
import { configPath, withKafkaErrors } from './common.js';

export const USAGE = `Usage: hookstream start [--config FILE] [--embedded]

Runs the delivery service: consumes the events topic in group kafka.group_id, delivers
webhooks, runs the retry tiers, serves /metrics, /healthz and /readyz on metrics.port.
SIGTERM or SIGINT stops it gracefully (a second signal forces it).

Options:
  --config FILE   config file (else HOOKSTREAM_CONFIG; with --embedded, config.example.json)
  --embedded      when no KAFKA_BROKERS is set and no broker answers at kafka.brokers,
                  start the local Kafka broker (hookstream kafka start) and create the topics
`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string' }, embedded: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const logger = createLogger();
  const path = configPath(values.config, values.embedded ? join(PACKAGE_ROOT, 'config.example.json') : undefined);
  const config = await loadConfig({ path, onWarning: (m) => logger.warn(m) });
  logger.info({ config: path }, 'config loaded');
  // A broker that does not answer, or refuses, is one line naming the brokers, not a stack.
  if (values.embedded) await withKafkaErrors(config, () => provideEmbeddedBroker(config, logger));
  await withKafkaErrors(config, () => checkTopics(config, logger, values.embedded === true));

  const service = new HookstreamService({ config, logger });
  let signals = 0;
  const done = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        logger.warn({ signal }, 'second signal: exiting now; unfinished events will be delivered again');
        process.exit(1);
      }
      logger.info({ signal }, 'signal received, stopping');
      void service.close().then(resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await withKafkaErrors(config, () => service.start());
  await done;
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

/**
 * `npm start` on a fresh machine: use the broker that answers, or start the local one.
 * An explicit KAFKA_BROKERS is a promise that a broker exists, so nothing is started then.
 */
async function provideEmbeddedBroker(config: HookstreamConfig, logger: Logger): Promise<void> {
  const local = await import('../kafka/local/index.js');
  const address = config.kafka.brokers[0]!;
  if (process.env.KAFKA_BROKERS || (await local.probeBroker(address))) {
    logger.info({ brokers: config.kafka.brokers }, 'using the Kafka broker that answers');
    return;
  }
  const [host, portText] = address.split(':');
  if (host !== '127.0.0.1' && host !== 'localhost') {
    throw new HookstreamError('HS_LOCAL_KAFKA', `no broker answers at ${address}, and a local broker can only be started on 127.0.0.1`);
  }
  logger.info({ port: Number(portText) }, 'no Kafka broker answers: starting the local one (hookstream kafka start); the first run resolves its jars with Maven');
  const started = await local.start({ port: Number(portText), onProgress: (m) => logger.info(m) });
  logger.info({ brokers: started.brokers, pid: started.pid, dir: started.dir }, started.alreadyRunning ? 'local Kafka already running' : 'local Kafka started; stop it with: hookstream kafka stop');
}

/**
 * The service refuses to start on missing topics: consuming a typo would look like silence.
 * With --embedded it creates them instead, and says so, whichever broker it uses.
 */
async function checkTopics(config: HookstreamConfig, logger: Logger, embedded: boolean): Promise<void> {
  const names = topicNames(config);
  const admin = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.client_id, connection: kafkaConnection(config.kafka), logger }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = allTopics(names).filter((t) => !existing.has(t));
    if (missing.length > 0 && embedded) {
      const result = await ensureTopics(admin, config);
      if (result.created.length > 0) logger.info({ created: result.created.map((t) => t.name) }, 'topics created');
      for (const warning of result.warnings) logger.warn(warning);
    } else if (missing.length > 0) {
      throw missingTopicsError(missing);
    }
    const limits = await maxMessageBytes(admin, [...names.retries.map((r) => r.name), names.dlq]);
    // A single event is sent alone even when larger than max_body_bytes, so the events
    // topic's own limit bounds what a hand-off may have to carry. Not a refusal: such
    // events may never come; but if one does, its hand-off is refused and holds its offset.
    // Only a warning rides on it: a broker that will not describe the events topic (ACLs)
    // must not stop the start.
    const eventsLimit = await maxMessageBytes(admin, [names.events]).then(
      (limits) => limits.get(names.events),
      () => undefined,
    );
    const tight = eventsLimit === undefined ? undefined : handoffLimitProblem(eventsLimit, limits);
    if (tight) {
      logger.warn(
        { events_topic_max_message_bytes: eventsLimit, topic: tight.topic, max_message_bytes: tight.maxMessageBytes },
        `the events topic takes records that ${tight.topic} could not take in a hand-off; a failed event that large would be retried and its offset held until max.message.bytes of ${tight.topic} is raised to at least ${(eventsLimit ?? 0) + HANDOFF_OVERHEAD_BYTES}`,
      );
    }
    const problem = handoffLimitProblem(config.delivery.max_body_bytes, limits);
    if (problem) {
      throw new HookstreamError(
        'HS_PRECONDITION',
        `delivery.max_body_bytes ${config.delivery.max_body_bytes} is too large for topic ${problem.topic} (max.message.bytes ${problem.maxMessageBytes}): ` +
          `a failed batch that size could never be handed to it. Lower delivery.max_body_bytes to at most ${problem.maxMessageBytes - HANDOFF_OVERHEAD_BYTES}, or raise the topic's max.message.bytes`,
      );
    }
  } finally {
    await admin.disconnect();
  }
}
