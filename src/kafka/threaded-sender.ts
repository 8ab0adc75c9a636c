import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { HookstreamError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { relayLogLine } from '../observability/thread-log.js';
import { Respawner } from '../thread-respawn.js';
import type { OutgoingRecord } from './acked-sender.js';
import type { KafkaConnection } from './client.js';
import type { HandoffCompression } from './compression.js';

/** What the hand-off thread starts with. */
export interface SenderInit {
  brokers: string[];
  clientId: string;
  connection: KafkaConnection;
  compression: HandoffCompression;
  logLevel: string;
}

/** Main thread → hand-off thread. */
export type SenderRequest =
  | { type: 'connect'; id: number }
  | { type: 'send'; id: number; topic: string; key: string | Uint8Array; value: Uint8Array; headers?: Record<string, string | Uint8Array> }
  | { type: 'close'; id: number };

/** Hand-off thread → main thread. */
export type SenderReply =
  | { type: 'done'; id: number }
  | { type: 'fail'; id: number; message: string; /** kafkajs' `type` of the broker error, when there was one. */ kafkaType?: string }
  | { type: 'log'; line: string };

/** Sends records with the broker's acknowledgement: `AckedSender`, or its threaded twin. */
export interface RecordSender {
  connect(): Promise<void>;
  /** Resolves once the broker has acknowledged the record (acks=all); rejects if it never does. */
  send(record: OutgoingRecord): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * An `AckedSender` on a worker thread (`sender-worker.ts`). Hand-offs to retry tiers and the
 * dead-letter topic are large records (a batch of events each), and kafkajs encodes produce
 * requests in JavaScript; with a dead endpoint that was the largest cost left on the main
 * thread. Values and keys are transferred, never cloned with the buffer they are a slice
 * of (see `detached`). A thread that dies fails what it was sending (the caller
 * tries again, as after any failed send) and is replaced; one that keeps dying, after a
 * growing delay, during which sends fail at once.
 */
/**
 * Bytes to post to the thread without cloning more than they are. Structured clone copies
 * a view's whole ArrayBuffer, and a record read from Kafka is a slice of its fetch response
 * (megabytes): a 300-byte dead-letter value once cost a 2 MiB copy. A buffer the caller
 * owns that spans its ArrayBuffer is transferred as it is; anything else is copied into an
 * exact-size one first, and that copy is transferred.
 */
export function detached(buf: Buffer, owned: boolean, transfer: ArrayBuffer[]): Uint8Array {
  const whole = buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer;
  const out = owned && whole ? buf : new Uint8Array(buf);
  transfer.push(out.buffer as ArrayBuffer);
  return out;
}

export class ThreadedSender implements RecordSender {
  readonly #init: SenderInit;
  readonly #logger: Logger;
  readonly #workerUrl: URL;
  /** Undefined while a replacement for an exited thread waits out its restart delay. */
  #worker: Worker | undefined;
  readonly #respawner = new Respawner();
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #closing: Promise<void> | undefined;

  /**
   * @param options.workerUrl - the hand-off thread's script. Tests pass one that fails at
   *   start, to check that such a thread is not restarted in a tight loop. @internal
   */
  constructor(options: { brokers: string[]; clientId: string; connection?: KafkaConnection; compression?: HandoffCompression; logger: Logger; workerUrl?: URL }) {
    this.#logger = options.logger;
    this.#workerUrl = options.workerUrl ?? new URL('./sender-worker.js', import.meta.url);
    this.#init = { brokers: options.brokers, clientId: options.clientId, connection: options.connection ?? {}, compression: options.compression ?? 'lz4', logLevel: options.logger.level };
    this.#worker = this.#spawn();
  }

  connect(): Promise<void> {
    return this.#request((id) => ({ type: 'connect', id }));
  }

  send(record: OutgoingRecord): Promise<void> {
    if (this.#closing) return Promise.reject(new HookstreamError('HS_PRODUCER_CLOSED', 'hand-off producer is closed'));
    const transfer: ArrayBuffer[] = [];
    const value = detached(record.value, record.owned === true, transfer);
    const key = typeof record.key === 'string' ? record.key : detached(record.key, false, transfer);
    return this.#request(
      (id) => ({
        type: 'send',
        id,
        topic: record.topic,
        key,
        value,
        ...(record.headers ? { headers: plainHeaders(record.headers) } : {}),
      }),
      transfer,
    );
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    // A replacement waiting to start is not started any more; with no thread running there
    // is no producer to close.
    this.#respawner.cancel();
    const worker = this.#worker;
    this.#closing = worker === undefined ? Promise.resolve() : this.#request((id) => ({ type: 'close', id })).finally(() => worker.terminate());
    return this.#closing;
  }

  #request(build: (id: number) => SenderRequest, transfer: ArrayBuffer[] = []): Promise<void> {
    const worker = this.#worker;
    // Posted to no thread, it would never be answered: fail it, to be tried again later.
    if (worker === undefined) return Promise.reject(new Error('hand-off thread is restarting'));
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage(build(id), transfer);
    });
  }

  #spawn(): Worker {
    const startedAt = performance.now();
    const worker = new Worker(this.#workerUrl, { workerData: this.#init });
    worker.on('message', (message: SenderReply) => {
      if (message.type === 'log') {
        relayLogLine(this.#logger, message.line, 'handoff');
        return;
      }
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.type === 'done') pending?.resolve();
      else pending?.reject(Object.assign(new Error(message.message), message.kafkaType === undefined ? {} : { type: message.kafkaType }));
    });
    worker.on('error', (err) => this.#logger.error({ err: err.message }, 'hand-off thread failed'));
    worker.on('exit', (code) => {
      // What it was sending fails now; only the replacement waits (see thread-respawn.ts).
      for (const pending of this.#pending.values()) pending.reject(new Error(`hand-off thread exited (code ${code})`));
      this.#pending.clear();
      if (this.#closing || this.#worker !== worker) return;
      this.#worker = undefined;
      const delayMs = this.#respawner.schedule(performance.now() - startedAt, () => {
        if (!this.#closing) this.#worker = this.#spawn();
      });
      this.#logger.error({ code, restart_delay_ms: delayMs }, 'hand-off thread exited; starting a new one');
    });
    return worker;
  }

  /** Ends the hand-off thread the way a crash would. For tests of the recovery path. @internal */
  async terminateThread(): Promise<void> {
    await this.#worker?.terminate();
  }
}

/** Header values as strings or bytes (kafkajs also allows arrays; hookstream never sends them). */
function plainHeaders(headers: NonNullable<OutgoingRecord['headers']>): Record<string, string | Uint8Array> {
  const out: Record<string, string | Uint8Array> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first;
  }
  return out;
}
