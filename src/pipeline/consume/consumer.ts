import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../../observability/logger.js';
import { errorMessage } from '../../errors.js';
import { PartitionOffsets } from './offset-tracker.js';

export interface GroupConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  logger: Logger;
  /**
   * Takes one record. Called synchronously, in offset order per partition; it registers
   * the record with `tracker.take(...)` and hands its work on. It must not block: long
   * work in a kafkajs handler starves heartbeats and costs the partitions (kafkajs #1083).
   * Returning a time (ms since epoch) instead means "not yet": the record is left untaken,
   * its partition pauses and resumes at that time (how retry tiers wait without sleeping).
   */
  onRecord: (tracker: PartitionOffsets, message: KafkaMessage) => number | void;
  /**
   * True while too much work is in flight: taking records waits (heartbeating) until
   * `resume()` is called and this turns false.
   */
  isSaturated: () => boolean;
  /** How often finished offsets are committed. @defaultValue 1000 */
  commitIntervalMs?: number;
  /** Called with each partition's lag (high watermark minus next offset) after a fetch. */
  onLag?: (topic: string, partition: number, lag: number) => void;
  /** Called after each wait for room (`isSaturated`) with the seconds it lasted. */
  onWaited?: (seconds: number) => void;
  /** Called when kafkajs gives up (a crash it will not restart from). */
  onFatal?: (err: Error) => void;
  sessionTimeoutMs?: number;
}

/**
 * Group membership, fetching and committing for one consumer group.
 *
 * kafkajs resolves offsets to move its fetch position; hookstream commits its own offsets
 * (autoCommit off) from each partition's `PartitionOffsets`, so an offset is committed
 * only when every record below it is finished, whatever order deliveries finish in.
 */
export class GroupConsumer {
  readonly #o: GroupConsumerOptions;
  readonly #consumer: Consumer;
  readonly #trackers = new Map<string, PartitionOffsets>();
  #commitTimer: NodeJS.Timeout | undefined;
  readonly #waits = new Map<string, NodeJS.Timeout>();
  #committing: Promise<void> | undefined;
  #paused = false;
  /** Wakes an eachBatch that waits for room (resume, pause, stop). */
  #wake: (() => void) | undefined;
  #joined = false;
  #stopped = false;
  /** consumer.run() was called: pause and resume need kafkajs' group state. */
  #running = false;
  /** The `start()` in progress or done, which `stop()` waits out (see there). */
  #starting: Promise<void> | undefined;
  #startSettled = false;

  constructor(options: GroupConsumerOptions) {
    this.#o = options;
    this.#consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3_000,
      // Fetches are sized by bytes only; keep each one modest so a pause takes effect soon.
      // 2 MiB (about 6,000 events of 300 B) keeps a 40k events/s drain fed while holding
      // less decoded data at once: 8 MiB fetches cost ~50 MB more peak RSS (docs/benchmarks.md).
      maxBytesPerPartition: 256 * 1024,
      maxBytes: 2 * 1024 * 1024,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      // kafkajs restarts a crashed consumer on its own, also when the "crash" is our own
      // disconnect cutting short a join in progress: without this, a consumer stopped
      // while joining came back 300 ms later as a member nobody would ever stop, holding
      // its partitions (heartbeating, never committing) and the process alive.
      retry: { retries: 5, restartOnFailure: () => Promise.resolve(!this.#stopped) },
    });
    const { GROUP_JOIN, CRASH } = this.#consumer.events;
    this.#consumer.on(GROUP_JOIN, (e) => {
      // A join that completed after stop() (kafkajs restarting after a crash while we were
      // stopping) would be a member nobody stops: leave. Not from inside this event: kafkajs
      // marks its runner running only after the join returns, and a disconnect before that
      // would not send the LeaveGroup.
      if (this.#stopped) {
        setTimeout(() => void this.#consumer.disconnect().catch(() => undefined), 0);
        return;
      }
      this.#onJoin(e.payload.memberAssignment);
    });
    this.#consumer.on(CRASH, (e) => {
      this.#joined = false;
      const { error, restart } = e.payload;
      // A join or fetch cut short by stop() surfaces as a crash: it is the shutdown.
      if (this.#stopped) {
        this.#o.logger.debug({ err: error }, 'kafka consumer stopped while connecting or joining');
        return;
      }
      this.#o.logger.error({ err: error, restart }, 'kafka consumer crashed');
      if (!restart) this.#o.onFatal?.(error);
    });
  }

  get consumer(): Consumer {
    return this.#consumer;
  }

  /** True once the group is joined (reset on a crash until the next join). */
  get joined(): boolean {
    return this.#joined;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Joins the group and starts fetching; does nothing once `stop()` was called. */
  start(): Promise<void> {
    this.#starting ??= this.#start().finally(() => {
      this.#startSettled = true;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    if (this.#stopped) return;
    await this.#consumer.connect();
    // A new group starts at the earliest offset: events published before the first start are
    // webhooks too. An existing group resumes from its committed offsets.
    await this.#consumer.subscribe({ topics: this.#o.topics, fromBeginning: true });
    // stop() ran while connecting: it has disconnected (or will); do not start fetching.
    if (this.#stopped) return;
    await this.#consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
    this.#running = true;
    // pause() or stop() came during the join (stop() waits for this start to settle).
    if (this.#paused) this.#consumer.pause(this.#o.topics.map((topic) => ({ topic })));
    if (this.#stopped) return;
    this.#commitTimer = setInterval(() => void this.commit(), this.#o.commitIntervalMs ?? 1000);
    this.#commitTimer.unref();
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const key = `${batch.topic}:${batch.partition}`;
    let tracker = this.#trackers.get(key);
    const first = batch.messages[0];
    if (!first) return;
    if (!tracker) {
      // Fetching starts at the committed offset (or the earliest): the first record fetched.
      tracker = new PartitionOffsets(batch.topic, batch.partition, Number(first.offset));
      this.#trackers.set(key, tracker);
    }
    // Fetched while stopping (a join that completed during shutdown): take nothing; the
    // records are read again by whoever owns the partition next.
    if (this.#paused || this.#stopped) return;
    let resolved: string | undefined;
    // Checked once per batch, not per record: isStale() JSON-encodes a key on every call
    // (2.5% of a drain's CPU). The loop only awaits in #waitForRoom, which checks both
    // again before each wait and ends the batch on a failed heartbeat (a rebalance).
    const live = isRunning() && !isStale();
    for (const message of live ? batch.messages : []) {
      // After a rebalance that kept this partition, kafkajs fetches again from the committed
      // offset; records from there up to what we took are already in flight: skip them.
      if (Number(message.offset) < tracker.nextOffset) {
        resolved = message.offset;
        continue;
      }
      // Backpressure by waiting here, not by pausing: a paused kafkajs consumer re-fetches
      // what it had not taken and sleeps maxWaitTimeInMs before it looks again, which left
      // the service idle a quarter of a backlog drain. Waiting keeps this batch in hand and
      // goes on the moment deliveries make room.
      if (this.#o.isSaturated()) {
        const since = performance.now();
        const room = await this.#waitForRoom(heartbeat, isRunning, isStale);
        this.#o.onWaited?.((performance.now() - since) / 1000);
        if (!room) break;
      }
      const notBefore = this.#o.onRecord(tracker, message);
      if (typeof notBefore === 'number') {
        this.#waitUntil(key, pause(), notBefore);
        break;
      }
      resolved = message.offset;
    }
    // Only while the partition is still ours under the same tracker. After it was revoked
    // and assigned again during this batch (two rebalances while it waited for room), the
    // resolve would move the new assignment's fetch position past records that the old,
    // detached tracker still holds, and the new tracker would commit past them.
    if (resolved !== undefined && !tracker.detached) resolveOffset(resolved);
    const lag = Number(batch.highWatermark) - tracker.nextOffset;
    this.#o.onLag?.(batch.topic, batch.partition, Math.max(0, lag));
    await heartbeat();
  }

  #waitUntil(key: string, resume: () => void, at: number): void {
    clearTimeout(this.#waits.get(key));
    const timer = setTimeout(() => {
      this.#waits.delete(key);
      // Not after pause() (shutdown): a partition-level resume would override kafkajs'
      // topic-level pause and start fetching again during the grace period.
      if (!this.#stopped && !this.#paused) resume();
    }, Math.max(0, at - Date.now()));
    // A record due in an hour must not keep a stopping process alive.
    timer.unref();
    this.#waits.set(key, timer);
  }

  /**
   * Waits until the in-flight budget has room. Heartbeats meanwhile so the group keeps the
   * partitions; false when the wait must end without room (shutdown, rebalance): the
   * records not taken are fetched again by whoever owns the partition next.
   */
  async #waitForRoom(heartbeat: () => Promise<void>, isRunning: () => boolean, isStale: () => boolean): Promise<boolean> {
    while (this.#o.isSaturated()) {
      if (this.#paused || this.#stopped || !isRunning() || isStale()) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
      try {
        await heartbeat();
      } catch (err) {
        this.#o.logger.info({ err: errorMessage(err) }, 'heartbeat failed while waiting for room (rebalance); leaving the batch');
        return false;
      }
    }
    return !this.#paused && !this.#stopped;
  }

  /** Stops fetching every subscribed topic (shutdown); also before the group is joined. */
  pause(): void {
    this.#wake?.();
    if (this.#paused) return;
    this.#paused = true;
    if (this.#running) this.#consumer.pause(this.#o.topics.map((topic) => ({ topic })));
  }

  /** Lets a batch that waits for room go on, and undoes `pause()`. */
  resume(): void {
    this.#wake?.();
    if (!this.#paused || this.#stopped) return;
    this.#paused = false;
    if (this.#running) this.#consumer.resume(this.#o.topics.map((topic) => ({ topic })));
  }

  #onJoin(assignment: Record<string, number[]>): void {
    this.#joined = true;
    const owned = new Set<string>();
    for (const [topic, partitions] of Object.entries(assignment)) for (const p of partitions) owned.add(`${topic}:${p}`);
    for (const [key, tracker] of this.#trackers) {
      if (owned.has(key)) continue;
      // Revoked: whatever is in flight may still finish, but the new owner will read it
      // again from the last commit (duplicates, never loss).
      tracker.detach();
      this.#trackers.delete(key);
    }
    this.#o.logger.info({ assignment }, 'joined consumer group');
  }

  /** Commits each partition's finished offsets. One commit at a time; failures only delay. */
  commit(): Promise<void> {
    if (this.#committing) return this.#committing;
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    const points: [PartitionOffsets, number][] = [];
    for (const tracker of this.#trackers.values()) {
      const point = tracker.committable();
      if (point === null) continue;
      offsets.push({ topic: tracker.topic, partition: tracker.partition, offset: String(point) });
      points.push([tracker, point]);
    }
    if (offsets.length === 0) return Promise.resolve();
    this.#committing = this.#consumer
      .commitOffsets(offsets)
      .then(
        () => {
          // kafkajs resolves without committing while its runner is not running (a crash
          // and restart): only a commit made as a joined member counts as done, so that an
          // idle partition's point is committed again instead of being thought committed.
          if (!this.#joined) return;
          for (const [tracker, point] of points) tracker.markCommitted(point);
        },
        (err: unknown) => {
          // Mostly a rebalance in progress; the next tick (or the next owner) commits.
          this.#o.logger.warn({ err: errorMessage(err) }, 'offset commit failed; will retry');
        },
      )
      .finally(() => {
        this.#committing = undefined;
      });
    return this.#committing;
  }

  /** Final commit, then leave the group. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const startInProgress = this.#starting !== undefined && !this.#startSettled;
    this.#wake?.();
    if (this.#commitTimer) clearInterval(this.#commitTimer);
    for (const timer of this.#waits.values()) clearTimeout(timer);
    // A start() still connecting or joining is waited out first. A disconnect under it
    // does not stop it: kafkajs reconnects a connect in progress, and a join it cuts short
    // leaves the new member in the group, unseen, until its session times out (30 s in
    // which the group cannot rebalance). Once joined, disconnect() leaves the group.
    if (startInProgress) await this.#starting?.catch(() => undefined);
    await this.#committing;
    await this.commit();
    await this.#consumer.disconnect();
  }
}
