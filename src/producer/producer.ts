import { randomUUID } from 'node:crypto';
import type { Message, Producer as KafkaProducer } from 'kafkajs';
import { encodeEvent } from '../contract/index.js';
import { HookstreamError } from '../errors.js';
import { createKafka } from '../kafka/client.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { memoizedDefaultPartitioner } from './partitioner.js';
import { resolveProducerOptions, type ProducerOptions, type ResolvedProducerOptions } from './options.js';
import { validateEvent, type EventDefaults, type PublishEvent } from './validate.js';

/** The producer library a socket server uses to hand its webhook events to Kafka. */
export interface Producer {
  /**
   * Validates and encodes the event at once, then buffers it; the promise resolves when the
   * broker has acknowledged the produce request that carried it (acks=all, idempotent).
   *
   * Rejects with `EventValidationError` (`HS_EVENT_INVALID`, nothing buffered),
   * `HS_PRODUCER_BUFFER_FULL` (only with `onBufferFull: 'reject'`), `HS_PRODUCER_CLOSED`,
   * or the kafkajs error of the request when it still failed after kafkajs' retries.
   *
   * Events buffered together share one promise (one per produce request, settled with that
   * request's result), which is what keeps publishing cheap; so two calls may return the
   * same promise object. Set `id` yourself if you need to know it; else a random UUID is used.
   */
  publish(event: PublishEvent): Promise<void>;
  /**
   * Like `publish` for several events, in order. All are validated first: if one is
   * invalid none is buffered, and the error's message starts with its index (`events[3]: `).
   */
  publishMany(events: readonly PublishEvent[]): Promise<void>;
  /**
   * Sends what is buffered without waiting for `lingerMs`; resolves when every event
   * accepted before the call has been acknowledged. If a request among them failed it
   * rejects with that request's error (which the events' own promises carry too).
   */
  flush(): Promise<void>;
  /**
   * Refuses new events (`HS_PRODUCER_CLOSED`), sends everything accepted so far, then
   * disconnects. Safe to call again: it returns the same promise. Resolves even when some
   * events failed to send, because their own promises were rejected with the reason.
   */
  close(): Promise<void>;
}

/** Key Buffers kept per app id; cleared when more app ids than this show up. */
const MAX_CACHED_KEYS = 100_000;

/**
 * One produce request's worth of events, formed as events arrive. Its promise is what
 * `publish` returns for each of them, so settling a request is one resolve, not a thousand.
 */
interface Batch {
  no: number;
  messages: Message[];
  bytes: number;
  /** No more events join it: full, or taken by the sender. */
  closed: boolean;
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface FlushWaiter {
  /** Resolved once the batch with this number has settled. */
  target: number;
  failure: { error: unknown } | undefined;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function createProducer(options: ProducerOptions): Producer {
  return new BatchingProducer(resolveProducerOptions(options));
}

/**
 * kafkajs' idempotent producer breaks when `send` calls overlap (tulios/kafkajs#598,
 * OUT_OF_ORDER_SEQUENCE_NUMBER), so `publish` never calls `send`. Events are appended to the
 * newest open batch of a FIFO list, and one sender loop sends the oldest batch, one request
 * at a time. Under load the next batch fills while a request is in flight, so requests
 * grow instead of queueing behind each other; when idle, `lingerMs` gathers a burst.
 */
class BatchingProducer implements Producer {
  private readonly opts: ResolvedProducerOptions;
  private readonly kafkaProducer: KafkaProducer;
  private readonly defaults: EventDefaults;
  private readonly keys = new Map<string, Buffer>();

  /** Unsettled batches, oldest first; the first is in flight while `sending`. */
  private batches: Batch[] = [];
  /** Events in `batches`: accepted and not yet acknowledged or failed. */
  private buffered = 0;
  private nextBatchNo = 1;
  private sending = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private flushWaiters: FlushWaiter[] = [];

  private readonly logger: Logger;
  private connecting: Promise<void> | undefined;
  private connectAttempted = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(opts: ResolvedProducerOptions) {
    this.opts = opts;
    // The documented default: warnings (a failed produce request) reach stderr even when
    // the caller passes no logger.
    this.logger = opts.logger ?? createLogger({ level: 'warn', destination: process.stderr });
    const kafka = createKafka({
      brokers: opts.brokers,
      clientId: opts.clientId,
      logger: this.logger,
      ...(opts.retry ? { retry: opts.retry } : {}),
      ...(opts.connection ? { connection: opts.connection } : {}),
    });
    this.kafkaProducer = kafka.producer({
      idempotent: true,
      // Required by idempotence; with one sender loop there is only ever one request anyway.
      maxInFlightRequests: 1,
      // The events topic is created by `hookstream topics create` with the right partition
      // count; auto-creating it here would make a one-partition topic out of a typo.
      allowAutoTopicCreation: false,
      // kafkajs' DefaultPartitioner (Java-compatible murmur2), memoized; NOT the legacy one:
      // apps must land on the partition that producers in other languages choose too.
      createPartitioner: memoizedDefaultPartitioner,
    });
    this.defaults = { id: randomUUID, timeMs: Date.now, nodeId: opts.nodeId };
  }

  publish(input: PublishEvent): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    let message: Message;
    try {
      message = this.encode(input);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.opts.onBufferFull === 'reject' && this.buffered + 1 > this.opts.maxBufferedEvents) {
      return Promise.reject(bufferFullError(this.opts.maxBufferedEvents));
    }
    const batch = this.append(message);
    this.schedule();
    return batch.promise;
  }

  publishMany(inputs: readonly PublishEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    const messages: Message[] = new Array<Message>(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      try {
        messages[i] = this.encode(inputs[i]!);
      } catch (err) {
        if (err instanceof HookstreamError) err.message = `events[${i}]: ${err.message}`;
        return Promise.reject(err);
      }
    }
    if (messages.length === 0) return Promise.resolve();
    if (this.opts.onBufferFull === 'reject' && this.buffered + messages.length > this.opts.maxBufferedEvents) {
      return Promise.reject(bufferFullError(this.opts.maxBufferedEvents));
    }
    const promises = new Set<Promise<void>>();
    for (const message of messages) promises.add(this.append(message).promise);
    this.schedule();
    return promises.size === 1 ? promises.values().next().value! : Promise.all(promises).then(() => undefined);
  }

  flush(): Promise<void> {
    const last = this.batches[this.batches.length - 1];
    if (last === undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.flushWaiters.push({ target: last.no, failure: undefined, resolve, reject });
      this.kick();
    });
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    try {
      await this.flush();
    } catch {
      // Each failed event's promise was rejected with the reason already; close only cleans up.
    }
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    if (this.connectAttempted) {
      await this.connecting?.catch(() => undefined);
      await this.kafkaProducer.disconnect();
    }
  }

  /** Validation and encoding happen on the caller's turn, so a bad event is refused at once. */
  private encode(input: PublishEvent): Message {
    const event = validateEvent(input, this.defaults);
    return { key: this.keyFor(event.app_id), value: encodeEvent(event) };
  }

  /**
   * One key Buffer per app id: saves an allocation per event and lets the partitioner
   * memoize by Buffer. Bounded, because app ids come from callers.
   */
  private keyFor(appId: string): Buffer {
    let key = this.keys.get(appId);
    if (key === undefined) {
      if (this.keys.size >= MAX_CACHED_KEYS) this.keys.clear();
      key = Buffer.from(appId, 'utf8');
      this.keys.set(appId, key);
    }
    return key;
  }

  /** Adds to the newest open batch, or opens one when it would exceed a batch limit. */
  private append(message: Message): Batch {
    const bytes = (message.key as Buffer).length + (message.value as Buffer).length;
    let batch = this.batches[this.batches.length - 1];
    if (
      batch === undefined ||
      batch.closed ||
      batch.messages.length >= this.opts.batchSize ||
      // An event bigger than maxBatchBytes still goes, alone in its batch.
      (batch.messages.length > 0 && batch.bytes + bytes > this.opts.maxBatchBytes)
    ) {
      if (batch !== undefined) batch.closed = true;
      batch = this.openBatch();
    }
    batch.messages.push(message);
    batch.bytes += bytes;
    this.buffered++;
    return batch;
  }

  private openBatch(): Batch {
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const batch: Batch = { no: this.nextBatchNo++, messages: [], bytes: 0, closed: false, promise, resolve, reject };
    this.batches.push(batch);
    return batch;
  }

  /** Starts the sender now if a batch is complete or someone is flushing, else after `lingerMs`. */
  private schedule(): void {
    if (this.sending) return;
    const first = this.batches[0];
    if (first === undefined) return;
    const complete = this.batches.length > 1 || first.messages.length >= this.opts.batchSize || first.bytes >= this.opts.maxBatchBytes;
    if (complete || this.flushWaiters.length > 0 || this.opts.lingerMs === 0) {
      this.kick();
    } else {
      this.lingerTimer ??= setTimeout(() => {
        this.lingerTimer = undefined;
        this.kick();
      }, this.opts.lingerMs);
    }
  }

  private kick(): void {
    if (this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
    if (this.sending || this.batches.length === 0) return;
    this.sending = true;
    void this.drain();
  }

  /**
   * The one sender loop: the oldest batch, one request at a time, until none is left.
   * Events that arrive meanwhile have waited at least one round trip, so they go next
   * without lingering. Never throws: failures settle the batch's promise.
   */
  private async drain(): Promise<void> {
    try {
      let batch: Batch | undefined;
      while ((batch = this.batches[0]) !== undefined) {
        batch.closed = true;
        let failure: { error: unknown } | undefined;
        try {
          await this.connect();
          await this.kafkaProducer.send({ topic: this.opts.topic, acks: -1, messages: batch.messages });
        } catch (error) {
          failure = { error };
        }
        this.batches.shift();
        this.buffered -= batch.messages.length;
        this.settle(batch, failure);
      }
    } finally {
      this.sending = false;
    }
  }

  private settle(batch: Batch, failure: { error: unknown } | undefined): void {
    if (failure) {
      this.logger.warn({ err: failure.error, events: batch.messages.length, topic: this.opts.topic }, 'produce request failed; its events are rejected');
      batch.reject(failure.error);
    } else {
      batch.resolve();
    }
    if (this.flushWaiters.length === 0) return;
    const waiting: FlushWaiter[] = [];
    for (const w of this.flushWaiters) {
      // Batches settle in order, so this one is among those the waiter covers.
      if (failure && w.failure === undefined) w.failure = failure;
      if (w.target > batch.no) waiting.push(w);
      else if (w.failure) w.reject(w.failure.error);
      else w.resolve();
    }
    this.flushWaiters = waiting;
  }

  private connect(): Promise<void> {
    if (!this.connecting) {
      this.connectAttempted = true;
      const attempt = this.kafkaProducer.connect();
      this.connecting = attempt;
      // A failed connect fails this batch only; the next batch tries again.
      attempt.catch(() => {
        if (this.connecting === attempt) this.connecting = undefined;
      });
    }
    return this.connecting;
  }
}

function closedError(): HookstreamError {
  return new HookstreamError('HS_PRODUCER_CLOSED', 'the producer is closed; publish before close()');
}

function bufferFullError(max: number): HookstreamError {
  return new HookstreamError('HS_PRODUCER_BUFFER_FULL', `${max} events are already buffered and unacknowledged (maxBufferedEvents)`, {
    canRetry: true,
  });
}
