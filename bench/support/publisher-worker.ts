/**
 * A socket server's side of the latency cases, in a worker thread: publishes a steady
 * stream through the producer library (which stamps `time_ms` at `publish`), on its own
 * event loop so that the service under test cannot delay the stamping or the sending.
 *
 * workerData: { brokers, topic, apps, rate (events/s), startAt, endAt (Date.now() times) }
 * Posts one message when done: { published, acked, failed }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createProducer } from '../../src/producer/index.js';
import { silentLogger } from '../../src/observability/logger.js';
import { sleep, streamEvent } from './workload.js';

interface Input {
  brokers: string[];
  topic: string;
  apps: string[];
  rate: number;
  startAt: number;
  endAt: number;
}

const input = workerData as Input;
const producer = createProducer({ brokers: input.brokers, topic: input.topic, nodeId: 'bench-node', clientId: 'bench-publisher', logger: silentLogger() });

let published = 0;
let acked = 0;
let failed = 0;
// Connect (metadata, producer id) before the stream starts.
await producer.flush();
await producer.publish(streamEvent(0, input.apps)).catch(() => undefined);
await sleep(Math.max(0, input.startAt - Date.now()));
for (;;) {
  const now = Date.now();
  if (now >= input.endAt) break;
  const due = Math.floor(((now - input.startAt) * input.rate) / 1000);
  while (published < due) {
    producer.publish(streamEvent(published, input.apps)).then(
      () => acked++,
      () => failed++,
    );
    published++;
  }
  await sleep(5);
}
await producer.close();
parentPort?.postMessage({ published, acked, failed });
