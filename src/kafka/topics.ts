import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Admin } from 'kafkajs';
import { ConfigError, HookstreamError, errorMessage } from '../errors.js';
import { settleAll } from './client.js';
import type { HookstreamConfig } from '../config/types.js';

/** The parts of the configuration that decide topic names and layout. */
export interface TopicsConfig {
  kafka: Pick<HookstreamConfig['kafka'], 'topic' | 'partitions' | 'replication_factor'>;
  retry: Pick<HookstreamConfig['retry'], 'delays_ms'>;
}

export interface RetryTopic {
  delayMs: number;
  name: string;
}

export interface TopicNames {
  events: string;
  /** One per configured delay, in the configured order (shortest first). */
  retries: RetryTopic[];
  dlq: string;
}

/**
 * Formats a delay for a topic name. Names are read by operators (`hooks.retry.16s`), so
 * the largest whole unit is used; anything else falls back to milliseconds, which is
 * exact, so two different delays can never share a topic.
 */
export function formatDelay(delayMs: number): string {
  if (!Number.isInteger(delayMs) || delayMs <= 0) {
    throw new RangeError(`retry delay must be a positive integer of ms, got ${delayMs}`);
  }
  if (delayMs % 60_000 === 0) return `${delayMs / 60_000}m`;
  if (delayMs % 1000 === 0) return `${delayMs / 1000}s`;
  return `${delayMs}ms`;
}

/** Names of the events topic, the retry topics (`<topic>.retry.1s`, ...) and `<topic>.dlq`. */
export function topicNames(config: { kafka: Pick<HookstreamConfig['kafka'], 'topic'>; retry: Pick<HookstreamConfig['retry'], 'delays_ms'> }): TopicNames {
  const topic = config.kafka.topic;
  const seen = new Set<string>();
  const retries = config.retry.delays_ms.map((delayMs, i) => {
    const name = `${topic}.retry.${formatDelay(delayMs)}`;
    // The retry tier is found by its topic name; two tiers on one topic would mix delays.
    if (seen.has(name)) throw new ConfigError(`$.retry.delays_ms[${i}]`, `delay ${delayMs} ms repeats an earlier one (topic ${name})`);
    seen.add(name);
    return { delayMs, name };
  });
  return { events: topic, retries, dlq: `${topic}.dlq` };
}

/** Every topic the service uses: the events topic, the retry tiers, the dead-letter topic. */
export function allTopics(names: TopicNames): string[] {
  return [names.events, ...names.retries.map((r) => r.name), names.dlq];
}

/**
 * Refuses, in one line that says how to fix it, to work on topics the cluster does not
 * have. Asked before any request on them: kafkajs retries a request on a missing topic
 * (UNKNOWN_TOPIC_OR_PARTITION is retriable) for seconds, then reports only "This server
 * does not host this topic-partition", which names neither the topic nor the remedy.
 */
export async function requireTopics(admin: Admin, topics: readonly string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length > 0) throw missingTopicsError(missing);
}

export function missingTopicsError(missing: readonly string[]): HookstreamError {
  return new HookstreamError('HS_PRECONDITION', `missing topics ${missing.join(', ')}: create them with "hookstream topics create --config FILE"`);
}

export type TopicRole = 'events' | 'retry' | 'dlq';

export interface TopicState {
  name: string;
  role: TopicRole;
  /** Partitions the topic has now (for a created topic, what it was created with). */
  partitions: number;
}

export interface EnsureTopicsResult {
  existing: TopicState[];
  created: TopicState[];
  /** Existing topics whose layout differs from the config; they are left as they are. */
  warnings: string[];
}

/**
 * Creates the events topic, one topic per retry delay and the dead-letter topic, each with
 * `kafka.partitions` partitions; topics that exist are left alone (never altered:
 * repartitioning would move apps to other partitions and break their ordering).
 *
 * Retry and dead-letter topics get as many partitions as the events topic because they
 * are keyed by app id too, so they spread the same way.
 */
export async function ensureTopics(admin: Admin, config: TopicsConfig): Promise<EnsureTopicsResult> {
  const names = topicNames(config);
  const wanted: { name: string; role: TopicRole }[] = [
    { name: names.events, role: 'events' },
    ...names.retries.map((r) => ({ name: r.name, role: 'retry' as const })),
    { name: names.dlq, role: 'dlq' },
  ];
  const partitions = config.kafka.partitions;

  const present = new Set(await admin.listTopics());
  const existingWanted = wanted.filter((t) => present.has(t.name));
  const existingPartitions = new Map<string, number>();
  if (existingWanted.length > 0) {
    const metadata = await admin.fetchTopicMetadata({ topics: existingWanted.map((t) => t.name) });
    for (const t of metadata.topics) existingPartitions.set(t.name, t.partitions.length);
  }

  const result: EnsureTopicsResult = { existing: [], created: [], warnings: [] };
  for (const t of existingWanted) {
    const count = existingPartitions.get(t.name) ?? 0;
    result.existing.push({ ...t, partitions: count });
    if (count !== partitions) {
      result.warnings.push(`topic ${t.name} has ${count} partitions, the config says ${partitions}; left unchanged`);
    }
  }

  // One request per topic: kafkajs reports "already exists" only as a single false for the
  // whole request, and another instance may be creating the same topics right now.
  const missing = wanted.filter((t) => !present.has(t.name));
  const create = async (t: (typeof wanted)[number], configEntries: { name: string; value: string }[] = []) => {
    const created = await admin.createTopics({
      topics: [{ topic: t.name, numPartitions: partitions, replicationFactor: config.kafka.replication_factor, configEntries }],
      // kafkajs' own wait gives up on UNKNOWN_TOPIC_OR_PARTITION, which a broker answers
      // until the new topic's metadata has spread; waitForTopicLeaders below retries it.
      waitForLeaders: false,
    });
    return { t, created };
  };
  const outcomes: { t: (typeof wanted)[number]; created: boolean }[] = [];
  const eventsMissing = missing.find((t) => t.role === 'events');
  if (eventsMissing) {
    outcomes.push(await create(eventsMissing));
    await waitForTopicLeaders(admin, [names.events]);
  }
  const handoffTopics = missing.filter((t) => t.role !== 'events');
  if (handoffTopics.length > 0) {
    // A retry or dead-letter record carries events read from the events topic plus a
    // head: the topics made here take a record HANDOFF_OVERHEAD_BYTES larger than the
    // events topic does, so that even an event as large as that topic allows (sent alone)
    // can be handed off. With equal limits its hand-off would be refused for good.
    // Without leave to describe the events topic, the new topics get the broker's default.
    const eventsLimit = await maxMessageBytes(admin, [names.events]).then(
      (limits) => limits.get(names.events),
      () => undefined,
    );
    const entries = eventsLimit === undefined ? [] : [{ name: 'max.message.bytes', value: String(eventsLimit + HANDOFF_OVERHEAD_BYTES) }];
    outcomes.push(...(await settleAll(handoffTopics.map((t) => create(t, entries)))));
  }
  if (missing.length > 0) await waitForTopicLeaders(admin, missing.map((t) => t.name));
  for (const { t, created } of outcomes) {
    if (created) {
      result.created.push({ ...t, partitions });
    } else {
      // Lost a race with another creator: report it as existing, with its real layout.
      const metadata = await admin.fetchTopicMetadata({ topics: [t.name] });
      const count = metadata.topics[0]?.partitions.length ?? 0;
      result.existing.push({ ...t, partitions: count });
      if (count !== partitions) {
        result.warnings.push(`topic ${t.name} has ${count} partitions, the config says ${partitions}; left unchanged`);
      }
    }
  }
  const order = new Map(wanted.map((t, i) => [t.name, i]));
  const byConfigOrder = (a: TopicState, b: TopicState): number => order.get(a.name)! - order.get(b.name)!;
  result.existing.sort(byConfigOrder);
  result.created.sort(byConfigOrder);
  return result;
}

/**
 * Waits until every partition of `topics` has a leader, so that producing right after
 * `ensureTopics` works. Retriable metadata errors (the topic not known yet, no leader yet)
 * are waited out; others are thrown.
 */
export async function waitForTopicLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      const ready = topics.every((name) => {
        const t = metadata.topics.find((m) => m.name === name);
        return t !== undefined && t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0);
      });
      if (ready) return;
      last = undefined;
    } catch (err) {
      if (!(err instanceof Error && (err as { retriable?: boolean }).retriable === true)) throw err;
      last = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`topics ${topics.join(', ')} still have partitions without a leader after ${timeoutMs} ms${last ? `: ${errorMessage(last)}` : ''}`, {
        cause: last,
      });
    }
    await sleep(100);
  }
}

/**
 * Bytes a hand-off record may take beyond `delivery.max_body_bytes`: the delivery record's
 * head (ids, times, last error) and Kafka headers. Its events are Avro, which is no larger
 * than the JSON body they were sent in (no field names, no escaping).
 */
export const HANDOFF_OVERHEAD_BYTES = 4096;

/**
 * The first retry or dead-letter topic that would refuse a failed batch as large as
 * `max_body_bytes` allows, with its limit; undefined when all take it. A refused hand-off
 * can never succeed, so its events would hold their offsets forever: the service refuses
 * to start instead, naming both settings.
 */
export function handoffLimitProblem(maxBodyBytes: number, limits: ReadonlyMap<string, number>): { topic: string; maxMessageBytes: number } | undefined {
  for (const [topic, maxMessageBytes] of limits) {
    if (maxBodyBytes + HANDOFF_OVERHEAD_BYTES > maxMessageBytes) return { topic, maxMessageBytes };
  }
  return undefined;
}

/** `max.message.bytes` of each topic, as the broker reports it (its default included). */
export async function maxMessageBytes(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
  });
  const out = new Map<string, number>();
  for (const r of resources) {
    const value = r.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue;
    if (value !== undefined && value !== null) out.set(r.resourceName, Number(value));
  }
  return out;
}
