/**
 * The hand-off thread: runs an `AckedSender` (kafkajs, idempotent, acks=all) for a
 * `ThreadedSender` on the main thread, so that encoding produce requests (record batches,
 * CRC-32C, buffer copies: kafkajs does all of it in JavaScript) does not take the thread
 * that consumes and routes. Messages are described in `threaded-sender.ts`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { IHeaders } from 'kafkajs';
import { errorMessage } from '../errors.js';
import { threadLogger } from '../observability/thread-log.js';
import { AckedSender, kafkaErrorType } from './acked-sender.js';
import { createKafka } from './client.js';
import type { SenderInit, SenderReply, SenderRequest } from './threaded-sender.js';

const port = parentPort;
if (!port) throw new Error('kafka/sender-worker.js runs as a worker thread of a ThreadedSender');

const init = workerData as SenderInit;
const post = (message: SenderReply): void => port.postMessage(message);
const logger = threadLogger(init.logLevel, (line) => post({ type: 'log', line }));
const sender = new AckedSender(createKafka({ brokers: init.brokers, clientId: init.clientId, connection: init.connection, logger }), { compression: init.compression, logger });

logger.info('hand-off thread ready');

// Structured clone turns a Buffer into a plain Uint8Array; kafkajs wants Buffers.
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const asKey = (key: string | Uint8Array): string | Buffer => (typeof key === 'string' ? key : asBuffer(key));

function settle(id: number, work: Promise<void>): void {
  work.then(
    () => post({ type: 'done', id }),
    (err: unknown) => {
      // The broker's error type crosses the thread too: the service counts hand-off errors by it.
      const kafkaType = kafkaErrorType(err);
      post({ type: 'fail', id, message: errorMessage(err), ...(kafkaType === undefined ? {} : { kafkaType }) });
    },
  );
}

port.on('message', (message: SenderRequest) => {
  switch (message.type) {
    case 'connect':
      settle(message.id, sender.connect());
      return;
    case 'send': {
      const { topic, key, value, headers } = message;
      let kafkaHeaders: IHeaders | undefined;
      if (headers) {
        kafkaHeaders = {};
        for (const [name, v] of Object.entries(headers)) kafkaHeaders[name] = typeof v === 'string' ? v : asBuffer(v);
      }
      settle(message.id, sender.send({ topic, key: asKey(key), value: asBuffer(value), ...(kafkaHeaders ? { headers: kafkaHeaders } : {}) }));
      return;
    }
    case 'close':
      settle(message.id, sender.close());
      return;
  }
});
