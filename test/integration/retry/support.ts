/**
 * Shared pieces of the retry and dead-letter acceptance tests: reading a topic with a
 * plain kafkajs consumer (independent of src/ops/dlq.ts, which is under test), decoding
 * dead-letter headers, a config file on disk for the CLI, and captured CLI output.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { run as runDlq } from '../../../src/cli/dlq.js';
import type { HookstreamConfig } from '../../../src/config/types.js';
import { topicNames, type TopicNames } from '../../../src/kafka/topics.js';
import type { HookstreamService } from '../../../src/pipeline/service.js';
import { createProducer, type Producer } from '../../../src/producer/index.js';
import { brokers, createConsumer, defer, uniqueName } from '../../helpers/kafka.js';
import { capture } from '../../helpers/io.js';
import { createServiceTopics, startService } from '../../helpers/service.js';

export interface ReadRecord {
  partition: number;
  message: KafkaMessage;
  /** Header values as UTF-8 text. */
  headers: Record<string, string>;
}

export interface TopicReader {
  /** Everything read so far, in arrival order. */
  readonly records: ReadRecord[];
  /** Resolves when `predicate(records)` holds; rejects after `timeoutMs`. */
  waitFor(predicate: (records: readonly ReadRecord[]) => boolean, timeoutMs: number, what: string): Promise<void>;
}

export function headerMap(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

/** Follows a topic from its beginning in a group of its own (stopped after the test). */
export async function readTopic(t: TestContext, topic: string): Promise<TopicReader> {
  const consumer = await createConsumer(t, { groupId: uniqueName('retry-test-reader'), maxWaitTimeInMs: 100 });
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const records: ReadRecord[] = [];
  const wakers = new Set<() => void>();
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      records.push({ partition, message, headers: headerMap(message.headers) });
      for (const wake of [...wakers]) wake();
    },
  });
  return {
    records,
    waitFor(predicate, timeoutMs, what) {
      return new Promise<void>((resolve, reject) => {
        if (predicate(records)) return resolve();
        const check = (): void => {
          if (!predicate(records)) return;
          clearTimeout(timer);
          wakers.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          wakers.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} on ${topic} (${records.length} records read)`));
        }, timeoutMs);
        wakers.add(check);
      });
    },
  };
}

/**
 * What most dead-letter tests start with: the config's topics, a running service, a reader
 * of its dead-letter topic and a socket node's producer (all closed after the test).
 */
export async function serviceWithDeadLetters(
  t: TestContext,
  raw: Record<string, unknown>,
): Promise<{ config: HookstreamConfig; names: TopicNames; service: HookstreamService; dlqReader: TopicReader; producer: Producer }> {
  const config = await createServiceTopics(t, raw);
  const names = topicNames(config);
  const service = await startService(t, raw);
  const dlqReader = await readTopic(t, names.dlq);
  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'node-1' });
  t.after(() => producer.close());
  return { config, names, service, dlqReader, producer };
}

/** Writes the raw config as a JSON file (for the CLI); removed after the test. */
export async function writeConfigFile(t: TestContext, raw: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hs-retry-test-'));
  defer(t, () => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'config.json');
  await writeFile(file, JSON.stringify(raw));
  return file;
}


/** Runs `hookstream dlq ...` in this process with captured output. */
export async function dlq(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = capture();
  const err = capture();
  const code = await runDlq(args, { stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
