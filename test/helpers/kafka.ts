/**
 * Integration-test helpers: every test makes its own topics and groups (uniqueName) and
 * registers its cleanup on the test context, so tests can share one broker and run in parallel.
 */
import { waitForTopicLeaders } from '../../src/kafka/topics.js';
import { registerCodecs } from '../../src/kafka/compression.js';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type ConsumerConfig, type KafkaMessage, type Producer, type ProducerConfig } from 'kafkajs';

/** Bootstrap servers of the broker the test runner chose (test/run.ts sets KAFKA_BROKERS). */
export function brokers(): string[] {
  const list = (process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  if (list.length === 0) {
    throw new Error(
      'KAFKA_BROKERS is not set: run integration tests with `npm test` or `node dist/test/run.js integration` (they start a broker), or export KAFKA_BROKERS=host:port',
    );
  }
  return list;
}

/** `prefix-<time>-<random>`: unique across parallel test files and repeated runs on one broker. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export function kafka(clientId: string = uniqueName('hookstream-test')): Kafka {
  // Tests read what hookstream writes (LZ4 hand-offs): with the codecs it registers too.
  registerCodecs();
  return new Kafka({ clientId, brokers: brokers(), logLevel: logLevel.ERROR });
}

/**
 * Runs `cleanup` after the test, newest first (node:test runs `after` hooks oldest first,
 * which would delete a topic before the consumer reading it disconnects). Every step runs
 * even when an earlier one throws.
 */
export function defer(t: TestContext, cleanup: () => Promise<void> | void): void {
  let stack = cleanups.get(t);
  if (stack === undefined) {
    const steps: Array<() => Promise<void> | void> = [];
    stack = steps;
    cleanups.set(t, steps);
    t.after(async () => {
      const errors: unknown[] = [];
      for (const step of steps.reverse()) {
        try {
          await step();
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new AggregateError(errors, 'test cleanup failed');
    });
  }
  stack.push(cleanup);
}

const cleanups = new WeakMap<TestContext, Array<() => Promise<void> | void>>();

/** A connected admin client, disconnected after the test. */
export async function createAdmin(t: TestContext): Promise<Admin> {
  const admin = kafka().admin();
  await admin.connect();
  defer(t, () => admin.disconnect());
  return admin;
}

/** Connects an admin for the duration of `fn`, for use outside a test context. */
export async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates the topics (waiting for their leaders) and deletes them after the test. */
export async function createTopics(t: TestContext, names: readonly string[], partitions = 1, configs: Record<string, string> = {}): Promise<void> {
  const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }));
  await withAdmin(async (admin) => {
    const created = await admin.createTopics({
      topics: names.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1, configEntries })),
      // kafkajs' own wait fails on UNKNOWN_TOPIC_OR_PARTITION from a broker that has not
      // spread the new topic's metadata yet; ours waits that out.
      waitForLeaders: false,
    });
    if (!created) throw new Error(`topics already exist: ${names.join(', ')}; use uniqueName() for test topics`);
    await waitForTopicLeaders(admin, [...names]);
  });
  // Best effort: a leftover topic costs little, a failing cleanup would hide the real result.
  defer(t, () => withAdmin((admin) => admin.deleteTopics({ topics: [...names] })).catch(() => undefined));
}

export async function createProducer(t: TestContext, config: ProducerConfig = {}): Promise<Producer> {
  const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
  await producer.connect();
  defer(t, () => producer.disconnect());
  return producer;
}

export async function createConsumer(t: TestContext, config: ConsumerConfig): Promise<Consumer> {
  const consumer = kafka().consumer(config);
  await consumer.connect();
  defer(t, () => consumer.disconnect());
  return consumer;
}

/** One record read back from a topic. */
export interface ReadBack {
  partition: number;
  message: KafkaMessage;
}

/**
 * Reads `count` records of a topic from its beginning in a group of its own; rejects when
 * fewer arrive within `timeoutMs`. For tests that check what was written.
 */
export async function readRecords(t: TestContext, topic: string, count: number, timeoutMs = 30_000): Promise<ReadBack[]> {
  const consumer = await createConsumer(t, { groupId: uniqueName('hs-it-read') });
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const records: ReadBack[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${records.length} of ${count} records of ${topic} within ${timeoutMs} ms`)), timeoutMs);
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          records.push({ partition, message });
          if (records.length === count) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch((err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
  });
  return records;
}
