import type { Admin } from 'kafkajs';
import type { HookstreamConfig } from '../config/types.js';
import { settleAll } from '../kafka/client.js';
import { requireTopics, topicNames } from '../kafka/topics.js';

export interface PartitionLag {
  topic: string;
  group: string;
  partition: number;
  /** Next offset the group will read; null when the group has never committed here. */
  committed: number | null;
  /** Offset the next produced record will get (the high watermark). */
  end: number;
  /** Records not yet finished by the group: end minus committed (minus the earliest kept offset when nothing is committed). */
  lag: number;
}

/** The groups hookstream runs: the events topic's, and the retry tiers' (`<group>.retry`). */
export function groupsOf(config: HookstreamConfig): { events: string; retry: string } {
  return { events: config.kafka.group_id, retry: `${config.kafka.group_id}.retry` };
}

/** Committed offset, end offset and lag per partition of `topic` for `group`. */
export async function topicLag(admin: Admin, topic: string, group: string): Promise<PartitionLag[]> {
  const [ends, committedByTopic] = await settleAll([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: group, topics: [topic] })]);
  const committed = new Map((committedByTopic[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  return ends
    .map((p) => {
      const c = committed.get(p.partition);
      const has = c !== undefined && c >= 0;
      const end = Number(p.high);
      return { topic, group, partition: p.partition, committed: has ? c : null, end, lag: Math.max(0, end - (has ? c : Number(p.low))) };
    })
    .sort((a, b) => a.partition - b.partition);
}

/** Lag of the events topic and of every retry tier. */
export async function serviceLag(admin: Admin, config: HookstreamConfig): Promise<PartitionLag[]> {
  const names = topicNames(config);
  const groups = groupsOf(config);
  await requireTopics(admin, [names.events, ...names.retries.map((r) => r.name)]);
  const parts = await settleAll([
    topicLag(admin, names.events, groups.events),
    ...names.retries.map((r) => topicLag(admin, r.name, groups.retry)),
  ]);
  return parts.flat();
}

/** A fixed-width table for terminals; totals per topic at the end of each block. */
export function formatLag(rows: readonly PartitionLag[]): string {
  const lines = [`${'TOPIC'.padEnd(40)} ${'PARTITION'.padStart(9)} ${'COMMITTED'.padStart(12)} ${'END'.padStart(12)} ${'LAG'.padStart(10)}`];
  let topic: string | undefined;
  let total = 0;
  const flush = (): void => {
    if (topic !== undefined) lines.push(`${`${topic} (total)`.padEnd(40)} ${''.padStart(9)} ${''.padStart(12)} ${''.padStart(12)} ${String(total).padStart(10)}`);
  };
  for (const r of rows) {
    if (r.topic !== topic) {
      flush();
      topic = r.topic;
      total = 0;
    }
    total += r.lag;
    lines.push(`${r.topic.padEnd(40)} ${String(r.partition).padStart(9)} ${(r.committed === null ? '-' : String(r.committed)).padStart(12)} ${String(r.end).padStart(12)} ${String(r.lag).padStart(10)}`);
  }
  flush();
  return `${lines.join('\n')}\n`;
}
