/**
 * Workloads shared by the pipeline benchmark's cases: the events, the backlog filler,
 * service configs and small statistics helpers.
 */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { Partitioners, type Kafka, type Message } from 'kafkajs';
import { parseConfig } from '../../src/config/index.js';
import type { HookstreamConfig } from '../../src/config/types.js';
import { encodeEvent } from '../../src/contract/index.js';
import type { WebhookEvent } from '../../src/contract/types.js';
import type { PublishEvent } from '../../src/producer/index.js';

/** A client_event whose Avro encoding is about 300 bytes (as in bench/produce.ts). */
export function streamEvent(i: number, apps: readonly string[]): PublishEvent {
  return {
    app_id: apps[i % apps.length]!,
    name: 'client_event',
    channel: `private-room-${i % 997}`,
    event: 'client-message',
    socket_id: `${100000 + (i % 5000)}.${200000 + i}`,
    data: JSON.stringify({ from: `user-${i % 5000}`, text: 'x'.repeat(148), seq: i }),
  };
}

/** Backlog ids carry their index, so the receiver can de-duplicate with a bitmap. */
export function backlogId(i: number): string {
  return `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
}

export function backlogEvent(i: number, apps: readonly string[], timeMs: number): WebhookEvent {
  return completeEvent(streamEvent(i, apps), backlogId(i), timeMs);
}

/** A benchmark's published event as the full record a producer would encode. */
export function completeEvent(e: PublishEvent, id: string, timeMs: number): WebhookEvent {
  return {
    id,
    app_id: e.app_id,
    name: e.name,
    channel: e.channel ?? null,
    event: e.event ?? null,
    data: e.data ?? null,
    socket_id: e.socket_id ?? null,
    user_id: null,
    subscription_count: null,
    time_ms: timeMs,
    node_id: 'bench-node',
  };
}

export function appIds(n: number, prefix = 'app'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}

/**
 * Writes `count` backlog events to `topic`, keyed by app id with kafkajs' Java-compatible
 * partitioner (what the producer library uses), several requests in flight. Not timed.
 * Returns the average encoded value size.
 */
export async function fillBacklog(kafka: Kafka, topic: string, count: number, apps: readonly string[], onProgress?: (done: number) => void): Promise<number> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const keys = new Map(apps.map((a) => [a, Buffer.from(a)]));
  const CHUNK = 2000;
  const CONCURRENCY = 4;
  let bytes = 0;
  let next = 0;
  const now = Date.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const from = next;
      const to = Math.min(count, from + CHUNK);
      next = to;
      const messages: Message[] = [];
      for (let i = from; i < to; i++) {
        const event = backlogEvent(i, apps, now);
        const value = encodeEvent(event);
        bytes += value.length;
        messages.push({ key: keys.get(event.app_id)!, value });
      }
      await producer.send({ topic, acks: -1, messages });
      if (onProgress && Math.floor(to / 100_000) !== Math.floor(from / 100_000)) onProgress(to);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
  } finally {
    await producer.disconnect();
  }
  return bytes / count;
}

export interface ServiceConfigInput {
  brokers: string[];
  topic: string;
  groupId: string;
  /** app id → webhook URLs (one webhook each). */
  apps: { id: string; webhooks: { id: string; url: string }[] }[];
  batching: { enabled: boolean; duration: number; size: number };
  metricsPort?: number;
  /** Overrides of the `delivery` section (experiments only; the cases use the defaults). */
  delivery?: Record<string, unknown>;
}

/** The raw (config.json-shaped) config; everything not named here keeps its default. */
export function rawConfig(input: ServiceConfigInput): Record<string, unknown> {
  return {
    kafka: { brokers: input.brokers, topic: input.topic, group_id: input.groupId, client_id: 'hookstream-bench', partitions: 12 },
    metrics: input.metricsPort === undefined ? { enabled: false } : { enabled: true, host: '127.0.0.1', port: input.metricsPort },
    webhooks: { batching: input.batching },
    ...(input.delivery ? { delivery: input.delivery } : {}),
    app_manager: {
      driver: 'memory',
      array: {
        apps: input.apps.map((a) => ({
          id: a.id,
          key: `key-${a.id}`,
          secret: `secret-${a.id}`,
          webhooks: a.webhooks.map((w) => ({ id: w.id, url: w.url, event_types: ['client_event'] })),
        })),
      },
    },
  };
}

export function serviceConfig(input: ServiceConfigInput): HookstreamConfig {
  return parseConfig(rawConfig(input));
}

/** Nearest-rank percentile of ascending-sorted samples. */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function machine(kafka: string): string {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) model = line.split(':')[1]!.trim();
  } catch {
    // not Linux: os.cpus() is good enough
  }
  return `${cpus().length} cores, ${model}, ${fmt(totalmem() / 2 ** 30, 1)} GiB RAM, node ${process.version}, ${kafka}`;
}
