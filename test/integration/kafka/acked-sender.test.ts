import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
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

for (const compression of ['gzip', 'none'] as const) {
  test(`records sent with handoff_compression "${compression}" are ${compression === 'gzip' ? 'gzip-compressed on the wire' : 'not compressed'} and read back intact`, async (t) => {
    const topic = uniqueName('acked-compression');
    await createTopics(t, [topic], 1);
    const sender = new AckedSender(kafka(), { compression });
    t.after(() => sender.close());
    const values = Array.from({ length: 20 }, (_, i) => Buffer.from(JSON.stringify({ event: 'member_added', channel: 'presence-room', n: i }).repeat(50)));
    await Promise.all(values.map((value, i) => sender.send({ topic, key: 'app-1', value, headers: { n: String(i) } })));

    // kafkajs' codec registry is process-wide: count the gzip decompressions while reading back.
    const registry = CompressionCodecs as Record<number, () => { decompress(b: Buffer): Promise<Buffer> }>;
    const original = registry[CompressionTypes.GZIP]!;
    let decompressed = 0;
    registry[CompressionTypes.GZIP] = () => {
      const codec = original();
      return { ...codec, decompress: (b: Buffer) => (decompressed++, codec.decompress(b)) };
    };
    t.after(() => {
      registry[CompressionTypes.GZIP] = original;
    });
    const read = await readRecords(t, topic, values.length);
    assert.deepEqual(
      read.map((r) => r.message.value),
      values,
    );
    assert.deepEqual(
      read.map((r) => r.message.headers?.n?.toString()),
      values.map((_, i) => String(i)),
    );
    if (compression === 'gzip') assert.ok(decompressed >= 1, 'the records arrived gzip-compressed');
    else assert.equal(decompressed, 0, 'no gzip batch was read');
  });
}
