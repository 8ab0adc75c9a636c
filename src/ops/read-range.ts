import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { settleAll } from '../kafka/client.js';

export interface PartitionRange {
  partition: number;
  /** First offset to read. */
  start: number;
  /** First offset not to read (the end of the partition when the read started, at most). */
  end: number;
}

export interface ReadOptions {
  /** Fail when no record arrives for this long while some are still expected. @defaultValue 30000 */
  idleTimeoutMs?: number;
  /** Stop early (SIGINT): the read ends after the current batch. */
  signal?: AbortSignal;
}

/**
 * Per partition, the offsets of the records with timestamps in [fromMs, toMs), as Kafka's
 * time index finds them, capped at the end of the partition when the read starts (so the
 * read ends even while producers keep writing).
 */
export async function boundsByTime(admin: Admin, topic: string, fromMs: number, toMs: number): Promise<PartitionRange[]> {
  const [starts, ends, highs] = await settleAll([
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
 * Reads the ranges of a topic outside any live consumer group: a throwaway group that never
 * commits and is deleted afterwards, so the service's offsets (and any cursor) stay put.
 */
export async function readRange(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  ranges: readonly PartitionRange[],
  onRecord: (partition: number, message: KafkaMessage) => void,
  options: ReadOptions & { groupPrefix?: string } = {},
): Promise<void> {
  const groupId = `${options.groupPrefix ?? 'hookstream'}.read-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
  try {
    await consumeRanges(consumer, topic, ranges, options, async (partition, messages) => {
      for (const message of messages) onRecord(partition, message);
    });
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}

/**
 * Runs `consumer` over the ranges (one subscription to the whole topic; records outside a
 * range are ignored) until every range is read, then disconnects it. `handle` gets each
 * batch's records in the range, in offset order, and may take its time (kafkajs waits for
 * it before fetching that partition again); while it works it calls `progress()` (each
 * acknowledged hand-off, say), which counts as progress and heartbeats, so that a slow
 * broker neither trips the idle timeout nor costs the group its partitions. Rejects if
 * `handle` throws, if the consumer crashes, or if nothing progresses for `idleTimeoutMs`.
 */
export async function consumeRanges(
  consumer: Consumer,
  topic: string,
  ranges: readonly PartitionRange[],
  options: ReadOptions & { onJoin?: (assigned: readonly number[]) => void; autoSeek?: boolean },
  handle: (partition: number, messages: KafkaMessage[], progress: () => void) => Promise<void>,
): Promise<void> {
  const pending = new Map(ranges.filter((r) => r.end > r.start).map((r) => [r.partition, r]));
  if (pending.size === 0 || options.signal?.aborted) return;
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
  }, 500);
  // An abort ends the read only between batches: kafkajs ignores commits once the consumer
  // is stopping, so a batch in progress must finish (and commit) before the disconnect.
  let inBatch = false;
  const onAbort = (): void => {
    if (!inBatch) finish();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  consumer.on(consumer.events.CRASH, (e) => fail(e.payload.error));
  if (options.onJoin) {
    const onJoin = options.onJoin;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      try {
        onJoin(e.payload.memberAssignment[topic] ?? []);
      } catch (err) {
        fail(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const range = pending.get(batch.partition);
        if (options.signal?.aborted) return finish();
        if (!range) return;
        lastProgress = Date.now();
        const inRange = batch.messages.filter((m) => Number(m.offset) >= range.start && Number(m.offset) < range.end);
        if (!isRunning() || isStale()) return;
        inBatch = true;
        let lastBeat = Date.now();
        const progress = (): void => {
          lastProgress = Date.now();
          if (lastProgress - lastBeat < 1000) return;
          lastBeat = lastProgress;
          // kafkajs sends it only when the heartbeat interval is due; a failure (rebalance)
          // shows up again at the batch's own heartbeat below.
          heartbeat().catch(() => undefined);
        };
        try {
          await handle(batch.partition, inRange, progress);
        } catch (err) {
          fail(err instanceof Error ? err : new Error(String(err)));
          return;
        } finally {
          inBatch = false;
        }
        if (options.signal?.aborted) return finish();
        const last = batch.messages.at(-1);
        if (last) resolveOffset(last.offset);
        await heartbeat();
        if (Number(batch.lastOffset()) >= range.end - 1) {
          pending.delete(batch.partition);
          if (pending.size === 0) finish();
        }
      },
    });
    // A throwaway group would start at the earliest offset: jump to each range's start.
    // (A batch fetched before the seek lands is filtered by the range above.)
    if (options.autoSeek !== false) for (const r of pending.values()) consumer.seek({ topic, partition: r.partition, offset: String(r.start) });
    await done;
  } finally {
    clearInterval(watchdog);
    options.signal?.removeEventListener('abort', onAbort);
    await consumer.disconnect().catch(() => undefined);
  }
}

