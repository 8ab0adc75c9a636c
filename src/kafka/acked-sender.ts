import { Partitioners, type IHeaders, type Kafka, type Producer } from 'kafkajs';
import { HookstreamError } from '../errors.js';

export interface OutgoingRecord {
  topic: string;
  key: string | Buffer;
  value: Buffer;
  headers?: IHeaders;
}

/**
 * Sends records with acks=all through one idempotent producer and settles each record's
 * promise with the broker's answer. kafkajs' idempotent producer breaks when sends overlap
 * (kafkajs #598), so a single loop drains the queue with one `sendBatch` at a time; records
 * that arrive meanwhile ride in the next batch.
 */
export class AckedSender {
  readonly #producer: Producer;
  #queue: { record: OutgoingRecord; resolve: () => void; reject: (err: unknown) => void }[] = [];
  #loop: Promise<void> | undefined;
  #connected: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  readonly #maxBatch: number;

  constructor(kafka: Kafka, options: { maxBatch?: number; transactionalId?: string } = {}) {
    // Keyed by app id with Java's murmur2, like the socket servers' producers.
    this.#producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    this.#maxBatch = options.maxBatch ?? 500;
  }

  connect(): Promise<void> {
    this.#connected ??= this.#producer.connect();
    return this.#connected;
  }

  /** Resolves once the broker has acknowledged the record (acks=all); rejects if it never does. */
  send(record: OutgoingRecord): Promise<void> {
    if (this.#closing) return Promise.reject(new HookstreamError('HS_PRODUCER_CLOSED', 'hand-off producer is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ record, resolve, reject });
      this.#loop ??= this.#drain().finally(() => {
        this.#loop = undefined;
      });
    });
  }

  async #drain(): Promise<void> {
    await this.connect();
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      const byTopic = new Map<string, { key: string | Buffer; value: Buffer; headers?: IHeaders }[]>();
      for (const { record } of batch) {
        const list = byTopic.get(record.topic) ?? [];
        list.push({ key: record.key, value: record.value, ...(record.headers ? { headers: record.headers } : {}) });
        byTopic.set(record.topic, list);
      }
      try {
        await this.#producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
        for (const item of batch) item.resolve();
      } catch (err) {
        for (const item of batch) item.reject(err);
      }
    }
  }

  /** Sends what is queued, then disconnects. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#loop;
      if (this.#connected) await this.#producer.disconnect();
    })();
    return this.#closing;
  }
}
