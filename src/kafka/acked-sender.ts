import { Partitioners, type CompressionTypes, type IHeaders, type Kafka, type Producer } from 'kafkajs';
import { HookstreamError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { resolveCompression, type HandoffCompression } from './compression.js';

export interface OutgoingRecord {
  topic: string;
  key: string | Buffer;
  value: Buffer;
  headers?: IHeaders;
  /**
   * The caller made `value` for this send and will not touch it again, so a sender may
   * take it over (a `ThreadedSender` transfers it to its thread instead of copying it).
   */
  owned?: boolean;
}

/**
 * Sends records with acks=all through idempotent producers and settles each record's
 * promise with the broker's answer. kafkajs' idempotent producer breaks when sends overlap
 * (kafkajs #598), so each producer (a lane) sends one `sendBatch` at a time, taking from a
 * shared queue what fits one request; records that arrive meanwhile ride in the next one.
 *
 * Several lanes keep several requests in flight: one lane's request is being compressed
 * (on the thread pool) or waits for the broker while the next is encoded. With one lane, a
 * dead endpoint's hand-offs queued behind each other and held the in-flight budget. Records
 * handed off carry no order among themselves (retry records are independent), so lanes may
 * finish out of order.
 */
export class AckedSender {
  readonly #lanes: Lane[];
  readonly #newProducer: () => Producer;
  #queue: { record: OutgoingRecord; resolve: () => void; reject: (err: unknown) => void }[] = [];
  #closing: Promise<void> | undefined;
  readonly #maxBatch: number;
  readonly #maxBatchBytes: number;
  readonly #compressionSetting: HandoffCompression;
  #compression: CompressionTypes | undefined;
  readonly #logger: Logger | undefined;

  /**
   * @param options.maxBatch records per request. @defaultValue 500
   * @param options.maxBatchBytes value bytes per request: the broker refuses a record batch
   *   over its `message.max.bytes` (1 MiB by default), and a refused request fails every
   *   record in it, so requests stay well below (counted before compression). @defaultValue 786432
   * @param options.compression of each request's record batch (see `compression.ts`). @defaultValue 'lz4'
   * @param options.logger where a fallback from LZ4 to gzip is reported.
   * @param options.lanes producers, each with one request in flight. @defaultValue 2
   */
  constructor(kafka: Kafka, options: { maxBatch?: number; maxBatchBytes?: number; compression?: HandoffCompression; lanes?: number; logger?: Logger } = {}) {
    // Keyed by app id with Java's murmur2, like the socket servers' producers.
    const lanes = Math.max(1, options.lanes ?? 2);
    this.#newProducer = () =>
      kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    this.#lanes = Array.from({ length: lanes }, () => ({ producer: this.#newProducer() }));
    this.#maxBatch = options.maxBatch ?? 500;
    this.#maxBatchBytes = options.maxBatchBytes ?? 768 * 1024;
    this.#compressionSetting = options.compression ?? 'lz4';
    this.#logger = options.logger;
  }

  async connect(): Promise<void> {
    await Promise.all(this.#lanes.map((lane) => this.#connect(lane)));
  }

  #connect(lane: Lane): Promise<void> {
    // A failed connect is forgotten, so that the next send tries again.
    lane.connected ??= lane.producer.connect().catch((err: unknown) => {
      lane.connected = undefined;
      throw err;
    });
    return lane.connected;
  }

  /** Resolves once the broker has acknowledged the record (acks=all); rejects if it never does. */
  send(record: OutgoingRecord): Promise<void> {
    if (this.#closing) return Promise.reject(new HookstreamError('HS_PRODUCER_CLOSED', 'hand-off producer is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ record, resolve, reject });
      const idle = this.#lanes.find((lane) => lane.loop === undefined);
      if (idle) {
        idle.loop = this.#drain(idle).finally(() => {
          idle.loop = undefined;
        });
      }
    });
  }

  async #drain(lane: Lane): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#takeCount());
      const byTopic = new Map<string, { key: string | Buffer; value: Buffer; headers?: IHeaders }[]>();
      for (const { record } of batch) {
        const list = byTopic.get(record.topic) ?? [];
        list.push({ key: record.key, value: record.value, ...(record.headers ? { headers: record.headers } : {}) });
        byTopic.set(record.topic, list);
      }
      try {
        await this.#connect(lane);
        await lane.producer.sendBatch({ acks: -1, compression: this.#compressionType(), topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
        for (const item of batch) item.resolve();
      } catch (err) {
        this.#renew(lane);
        if (batch.length > 1 && refusesRecords(err)) {
          // The broker refused a record it will never take (too large for the topic,
          // invalid), and with it the whole request. Sent one by one, only that record
          // fails; the others would otherwise share its fate on every try. Any other
          // error ends the pass: it is not about a record, and each one-by-one send
          // would wait out kafkajs' retries for it in turn.
          let failure: unknown;
          for (const item of batch) {
            if (failure !== undefined) {
              item.reject(failure);
              continue;
            }
            try {
              await this.#sendOne(lane, item.record);
              item.resolve();
            } catch (one) {
              item.reject(one);
              if (refusesRecords(one)) this.#renew(lane);
              else failure = one;
            }
          }
        } else {
          for (const item of batch) item.reject(err);
        }
      }
    }
  }

  /**
   * Gives the lane a new producer after a failed request. kafkajs' idempotent producer
   * winds back the sequence numbers of every partition of a failed request, also of the
   * partitions the broker did append; the next request to those partitions then reuses
   * sequence numbers the broker has seen, is refused as out of order, and every later one
   * too. A new producer gets a new producer id from the broker and starts its sequences
   * afresh. (Records of the failed request that were appended are sent again when their
   * hand-off is retried: duplicates, never loss.)
   */
  #renew(lane: Lane): void {
    const old = lane.producer;
    const wasConnected = lane.connected;
    lane.producer = this.#newProducer();
    lane.connected = undefined;
    if (wasConnected) void wasConnected.then(() => old.disconnect()).catch(() => undefined);
  }

  async #sendOne(lane: Lane, record: OutgoingRecord): Promise<void> {
    const { topic, key, value, headers } = record;
    await this.#connect(lane);
    await lane.producer.sendBatch({ acks: -1, compression: this.#compressionType(), topicMessages: [{ topic, messages: [{ key, value, ...(headers ? { headers } : {}) }] }] });
  }

  /** Resolved on the first request, so that a sender that never sends loads no codec. */
  #compressionType(): CompressionTypes {
    if (this.#compression === undefined) {
      const { type, fallback } = resolveCompression(this.#compressionSetting);
      if (fallback !== undefined) this.#logger?.warn({ error: fallback }, 'kafka.handoff_compression lz4 is not available here; hand-offs are gzip-compressed instead');
      this.#compression = type;
    }
    return this.#compression;
  }

  /** How many queued records fit one request: at least one, at most maxBatch and maxBatchBytes. */
  #takeCount(): number {
    let bytes = 0;
    let n = 0;
    while (n < this.#queue.length && n < this.#maxBatch) {
      bytes += this.#queue[n]!.record.value.length;
      if (n > 0 && bytes > this.#maxBatchBytes) break;
      n++;
    }
    return n;
  }

  /** Sends what is queued, then disconnects. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all(this.#lanes.map((lane) => lane.loop));
      // A connect still in progress is waited out first: disconnecting under it does not
      // stop it (kafkajs retries and connects after all), and its sockets would then keep
      // the process alive after close().
      await Promise.all(
        this.#lanes.map(async (lane) => {
          const connected = await lane.connected?.then(
            () => true,
            () => false,
          );
          if (connected) await lane.producer.disconnect();
        }),
      );
    })();
    return this.#closing;
  }
}

/** Broker errors about a record itself, which fail every record of the request it was in. */
const RECORD_REFUSALS: ReadonlySet<string> = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TIMESTAMP']);

/** The broker's error type of a failed send (kafkajs' `KafkaJSProtocolError.type`), if any. */
export function kafkaErrorType(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 4; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string') return type;
    e = (e as { cause?: unknown; originalError?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
  return undefined;
}

function refusesRecords(err: unknown): boolean {
  const type = kafkaErrorType(err);
  return type !== undefined && RECORD_REFUSALS.has(type);
}

/** One producer of an `AckedSender` and its send loop (running while records are queued). */
interface Lane {
  producer: Producer;
  connected?: Promise<void>;
  loop?: Promise<void>;
}
