/**
 * Producer library vs raw kafkajs, same broker, same run.
 *
 *   npm run bench:produce                      # starts a local broker, stops it after
 *   KAFKA_BROKERS=host:9092 npm run bench:produce
 *
 * Raw: an idempotent kafkajs producer (acks=all) sends pre-encoded messages in batches of
 * BATCH, one `send` at a time (concurrent sends break idempotence, kafkajs#598): the
 * fastest correct use of kafkajs. Library: `publish` of every event, including validation
 * and Avro encoding, which the raw run does not pay, with at most the default buffer's
 * worth of events unacknowledged. Each round runs both back to back (which goes first
 * alternates), so load from other processes hits both alike; the result is the median of
 * the per-round ratios.
 * Env: BENCH_EVENTS (200000), BENCH_ROUNDS (5), BENCH_BATCH (1000), BENCH_PARTITIONS (12).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitioners, type Message, type Producer as KafkaProducer } from 'kafkajs';
import { encodeEvent } from '../src/contract/index.js';
import type { WebhookEvent } from '../src/contract/types.js';
import { createKafka } from '../src/kafka/client.js';
import { waitForTopicLeaders } from '../src/kafka/topics.js';
import { freePort, start, stop } from '../src/kafka/local/index.js';
import { createProducer, PRODUCER_DEFAULTS, type Producer, type PublishEvent } from '../src/producer/index.js';
import { backlogId, completeEvent } from './support/workload.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARMUP = 50_000;
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 12);
const APPS = 50;
const MAX_PENDING = PRODUCER_DEFAULTS.maxBufferedEvents;


/** A client_event whose Avro encoding is about 300 bytes, spread over 50 apps. */
function makeEvent(i: number): PublishEvent {
  return {
    app_id: `app-${i % APPS}`,
    name: 'client_event',
    channel: `private-room-${i % 997}`,
    event: 'client-message',
    socket_id: `${100000 + (i % 5000)}.${200000 + i}`,
    data: JSON.stringify({ from: `user-${i % 5000}`, text: 'x'.repeat(148), seq: i }),
  };
}

function complete(e: PublishEvent, i: number): WebhookEvent {
  return completeEvent(e, backlogId(i), Date.now());
}

async function main(): Promise<void> {
  let brokers = process.env.KAFKA_BROKERS;
  let localDir: string | undefined;
  if (!brokers) {
    localDir = await mkdtemp(join(tmpdir(), 'hookstream-bench-kafka-'));
    const port = await freePort();
    process.stderr.write(`KAFKA_BROKERS unset: starting a local broker on port ${port}...\n`);
    const started = await start({ port, dir: localDir, onProgress: (m) => process.stderr.write(`${m}\n`) });
    brokers = started.brokers;
  }
  try {
    await bench(brokers.split(','));
  } finally {
    if (localDir) {
      await stop({ dir: localDir });
      await rm(localDir, { recursive: true, force: true });
    }
  }
}

async function bench(brokers: string[]): Promise<void> {
  const kafka = createKafka({ brokers, clientId: 'bench-produce' });
  const admin = kafka.admin();
  await admin.connect();
  const suffix = `${Date.now()}-${process.pid}`;
  const libTopic = `bench.produce.lib.${suffix}`;
  const rawTopic = `bench.produce.raw.${suffix}`;
  await admin.createTopics({
    topics: [libTopic, rawTopic].map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
    waitForLeaders: false,
  });
  await waitForTopicLeaders(admin, [libTopic, rawTopic]);

  const inputs = Array.from({ length: EVENTS }, (_, i) => makeEvent(i));
  const encoded: Message[] = inputs.map((e, i) => ({ key: Buffer.from(e.app_id, 'utf8'), value: encodeEvent(complete(e, i)) }));
  const avgBytes = encoded.reduce((n, m) => n + (m.value as Buffer).length, 0) / encoded.length;

  const raw = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await raw.connect();
  const lib = createProducer({ brokers, topic: libTopic, nodeId: 'bench-node', clientId: 'bench-produce-lib', batchSize: BATCH });

  // Warm-up: connections, metadata, producer ids, JIT.
  await runRaw(raw, rawTopic, encoded.slice(0, WARMUP));
  await runLib(lib, inputs.slice(0, WARMUP));

  const rawRates: number[] = [];
  const libRates: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate which goes first, so neither always follows the other's broker load.
    let r: number;
    let l: number;
    if (round % 2 === 1) {
      r = await runRaw(raw, rawTopic, encoded);
      l = await runLib(lib, inputs);
    } else {
      l = await runLib(lib, inputs);
      r = await runRaw(raw, rawTopic, encoded);
    }
    rawRates.push(r);
    libRates.push(l);
    process.stdout.write(`round ${round}: raw kafkajs ${fmt(r)} events/s, producer library ${fmt(l)} events/s, ratio ${(l / r).toFixed(2)}\n`);
  }
  await lib.close();
  await raw.disconnect();
  // Every event of every round arrived (warm-up included): a fast wrong run is no result.
  const expected = WARMUP + ROUNDS * EVENTS;
  for (const topic of [libTopic, rawTopic]) {
    const offsets = await admin.fetchTopicOffsets(topic);
    const count = offsets.reduce((n, p) => n + Number(p.high), 0);
    if (count !== expected) throw new Error(`${topic} holds ${count} records, expected ${expected}`);
  }
  await admin.deleteTopics({ topics: [libTopic, rawTopic] }).catch(() => undefined);
  await admin.disconnect();

  const rawMedian = median(rawRates);
  const libMedian = median(libRates);
  const ratio = median(libRates.map((l, i) => l / rawRates[i]!));
  const cpu = cpus()[0]?.model ?? 'unknown';
  process.stdout.write(
    [
      '',
      `events per round: ${EVENTS}, ${APPS} apps, avg encoded value ${avgBytes.toFixed(0)} bytes, batch ${BATCH}, ${PARTITIONS} partitions, acks=all, idempotent`,
      `raw kafkajs send (pre-encoded), median of ${ROUNDS}: ${fmt(rawMedian)} events/s`,
      `producer library publish,       median of ${ROUNDS}: ${fmt(libMedian)} events/s`,
      `ratio library/raw, median of the per-round ratios: ${ratio.toFixed(2)} (goal >= 0.80)`,
      `machine: ${cpus().length} cores, ${cpu}, node ${process.version}`,
      '',
    ].join('\n'),
  );
}

async function runRaw(producer: KafkaProducer, topic: string, messages: Message[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < messages.length; i += BATCH) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + BATCH) });
  }
  return rate(messages.length, t0);
}

/**
 * Publishes as a busy socket server would: without awaiting each event, but never with more
 * than about MAX_PENDING events unacknowledged (the producer's default buffer), so memory
 * stays bounded and validation/encoding overlap the request in flight. Events published
 * together share one promise (one per produce request), so pending promises are tracked
 * once each.
 */
async function runLib(producer: Producer, inputs: PublishEvent[]): Promise<number> {
  const maxPendingPromises = Math.max(1, Math.floor(MAX_PENDING / BATCH));
  const t0 = process.hrtime.bigint();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const ack = producer.publish(inputs[i]!);
    if (ack !== pending[pending.length - 1]) {
      pending.push(ack);
      if (pending.length > maxPendingPromises) await pending.shift();
    }
  }
  await Promise.all(pending);
  return rate(inputs.length, t0);
}

function rate(count: number, t0: bigint): number {
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return count / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:produce failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
