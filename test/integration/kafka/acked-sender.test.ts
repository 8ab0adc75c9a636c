import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import type { Kafka } from 'kafkajs';
import { AckedSender } from '../../../src/kafka/acked-sender.js';
import { createTopics, kafka, readRecords, uniqueName, withAdmin } from '../../helpers/kafka.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;

test('many large records sent at once are split into requests the broker accepts, each acknowledged', async (t) => {
  const topic = uniqueName('acked');
  await createTopics(t, [topic], 2);
  const sender = new AckedSender(kafka());
  t.after(() => sender.close());
  // 40 records of 100 KB: 4 MB in all, four times the broker's default message.max.bytes.
  // Random bytes, so that the default gzip cannot shrink the requests under the limit.
  const value = randomBytes(100 * 1024);
  await Promise.all(Array.from({ length: 40 }, (_, i) => sender.send({ topic, key: `app-${i % 3}`, value })));
  const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
  assert.equal(offsets.reduce((n, p) => n + Number(p.high), 0), 40);
});

const CODEC_OF = { lz4: CompressionTypes.LZ4, gzip: CompressionTypes.GZIP } as const;

for (const compression of ['lz4', 'gzip', 'none'] as const) {
  test(`records sent with handoff_compression "${compression}" are ${compression === 'none' ? 'not compressed' : `${compression}-compressed on the wire`} and read back intact`, async (t) => {
    const topic = uniqueName('acked-compression');
    await createTopics(t, [topic], 1);
    const sender = new AckedSender(kafka(), { compression });
    t.after(() => sender.close());
    const values = Array.from({ length: 20 }, (_, i) => Buffer.from(JSON.stringify({ event: 'member_added', channel: 'presence-room', n: i }).repeat(50)));
    await Promise.all(values.map((value, i) => sender.send({ topic, key: 'app-1', value, headers: { n: String(i) } })));

    // kafkajs' codec registry is process-wide: count decompressions per codec while reading back.
    const registry = CompressionCodecs as Record<number, () => { decompress(b: Buffer): Promise<Buffer> }>;
    const decompressed = new Map<number, number>();
    for (const type of Object.values(CODEC_OF)) {
      const original = registry[type]!;
      registry[type] = () => {
        const codec = original();
        return { ...codec, decompress: (b: Buffer) => (decompressed.set(type, (decompressed.get(type) ?? 0) + 1), codec.decompress(b)) };
      };
      t.after(() => {
        registry[type] = original;
      });
    }
    // Lanes may finish out of order: match the records up by their header.
    const read = (await readRecords(t, topic, values.length)).sort((a, b) => Number(a.message.headers?.n?.toString()) - Number(b.message.headers?.n?.toString()));
    assert.deepEqual(
      read.map((r) => r.message.headers?.n?.toString()),
      values.map((_, i) => String(i)),
    );
    assert.deepEqual(
      read.map((r) => r.message.value),
      values,
    );
    for (const [name, type] of Object.entries(CODEC_OF)) {
      const count = decompressed.get(type) ?? 0;
      if (name === compression) assert.ok(count >= 1, `the records arrived ${name}-compressed`);
      else assert.equal(count, 0, `no ${name} batch was read`);
    }
  });
}

/** Produce requests of each producer an AckedSender makes from `kafka` (real producers, observed). */
interface ProduceRequest {
  producer: number;
  sentAt: number;
  doneAt: number;
}

/**
 * Observes the producers an AckedSender makes: each one's Produce requests (kafkajs'
 * REQUEST events, whole milliseconds) and each `sendBatch` call from its start to its
 * settling (performance.now(), microseconds). Overlap is judged on the calls: on a fast
 * local broker two requests can both fit inside one millisecond, and millisecond stamps
 * would then show no overlap where there was one.
 */
function watchProduceRequests(source: Kafka): { kafka: Kafka; requests: ProduceRequest[]; calls: ProduceRequest[] } {
  const requests: ProduceRequest[] = [];
  const calls: ProduceRequest[] = [];
  let made = 0;
  const watched = Object.create(source) as Kafka;
  watched.producer = (config) => {
    const producer = source.producer(config);
    const index = made++;
    producer.on(producer.events.REQUEST, ({ payload }) => {
      if (payload.apiName === 'Produce') requests.push({ producer: index, sentAt: payload.sentAt, doneAt: payload.sentAt + payload.duration });
    });
    const sendBatch = producer.sendBatch.bind(producer);
    producer.sendBatch = async (batch) => {
      const call = { producer: index, sentAt: performance.now(), doneAt: Number.POSITIVE_INFINITY };
      calls.push(call);
      try {
        return await sendBatch(batch);
      } finally {
        call.doneAt = performance.now();
      }
    };
    return producer;
  };
  return { kafka: watched, requests, calls };
}

for (const lanes of [1, 2]) {
  test(`with ${lanes} lane(s), ${lanes === 1 ? 'produce requests never overlap' : 'two produce requests are in flight at once'}, and every record is acknowledged`, async (t) => {
    const topic = uniqueName('acked-lanes');
    await createTopics(t, [topic], 2);
    const { kafka: observed, requests, calls } = watchProduceRequests(kafka());
    const sender = new AckedSender(observed, { lanes, compression: 'none', maxBatchBytes: 64 * 1024 });
    t.after(() => sender.close());
    // 60 records of 60 KB: one per request, so that there is always a next one to send.
    await Promise.all(Array.from({ length: 60 }, (_, i) => sender.send({ topic, key: `app-${i % 3}`, value: randomBytes(60 * 1024) })));
    const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
    assert.equal(offsets.reduce((n, p) => n + Number(p.high), 0), 60);
    assert.equal(new Set(requests.map((r) => r.producer)).size, lanes, 'each lane sent with its own producer');
    // One record per request: at least 60 requests, so that "never overlap" is not vacuous.
    assert.ok(requests.length >= 60, `${requests.length} produce requests`);
    const overlap = (a: ProduceRequest, b: ProduceRequest): boolean => a !== b && a.sentAt < b.doneAt && b.sentAt < a.doneAt;
    if (lanes === 1) {
      // Whichever producer sent them: no two produce requests are in flight at once.
      const pair = calls.flatMap((a) => calls.filter((b) => overlap(a, b)).map((b) => [a, b]))[0];
      assert.equal(pair, undefined, `overlapping produce requests: ${JSON.stringify(pair)}`);
    } else {
      assert.ok(
        calls.some((a) => calls.some((b) => a.producer !== b.producer && overlap(a, b))),
        `two lanes' produce requests were in flight at once (${calls.length} sends)`,
      );
    }
  });
}
