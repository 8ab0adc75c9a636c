import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

export interface RangeBounds {
  partition: number;
  /** First offset to read. */
  start: number;
  /** First offset not to read. */
  end: number;
}

/**
 * Per partition, the offsets of the records with timestamps in [fromMs, toMs), as Kafka's
 * time index finds them, capped at the end of the partition when the read starts (so the
 * read ends even while producers keep writing).
 */
export async function boundsByTime(admin: Admin, topic: string, fromMs: number, toMs: number): Promise<RangeBounds[]> {
  const [starts, ends, highs] = await Promise.all([
    admin.fetchTopicOffsetsByTimestamp(topic, fromMs),
    admin.fetchTopicOffsetsByTimestamp(topic, toMs),
    admin.fetchTopicOffsets(topic),
  ]);
  const endOf = new Map(ends.map((e) => [e.partition, Number(e.offset)]));
  const highOf = new Map(highs.map((h) => [h.partition, Number(h.high)]));
  return starts
    .map((s) => ({ partition: s.partition, start: Number(s.offset), end: Math.min(endOf.get(s.partition) ?? 0, highOf.get(s.partition) ?? 0) }))
    .sort((a, b) => a.partition - b.partition);
}

/**
 * Reads the given offset ranges of a topic outside any live consumer group: a throwaway
 * group that never commits and is deleted afterwards, so the service's offsets are untouched.
 */
export async function readRange(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  bounds: readonly RangeBounds[],
  onRecord: (partition: number, message: KafkaMessage) => void,
  options: { groupPrefix?: string; idleTimeoutMs?: number } = {},
): Promise<void> {
  const pending = new Map(bounds.filter((b) => b.end > b.start).map((b) => [b.partition, b]));
  if (pending.size === 0) return;
  const groupId = `${options.groupPrefix ?? 'hookstream'}.read-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
  let finish!: () => void;
  let fail!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  let lastProgress = Date.now();
  const idleTimeout = options.idleTimeoutMs ?? 30_000;
  const watchdog = setInterval(() => {
    if (Date.now() - lastProgress > idleTimeout) fail(new Error(`reading ${topic} made no progress for ${idleTimeout} ms`));
  }, 1000);
  try {
    // Seeking needs an initialized group, which exists once the join completes.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const range of pending.values()) consumer.seek({ topic, partition: range.partition, offset: String(range.start) });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = pending.get(batch.partition);
        if (!range) return;
        lastProgress = Date.now();
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          if (offset < range.start) continue;
          if (offset >= range.end) break;
          onRecord(batch.partition, message);
        }
        if (Number(batch.lastOffset()) >= range.end - 1) {
          pending.delete(batch.partition);
          if (pending.size === 0) finish();
        }
      },
    });
    await done;
  } finally {
    clearInterval(watchdog);
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
