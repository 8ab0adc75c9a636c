import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { createKafka } from '../../../src/kafka/client.js';
import { createProducer as createEventProducer } from '../../../src/producer/index.js';
import { brokers, createProducer, createTopics, readRecords, uniqueName, withAdmin } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, startService, testConfig } from '../../helpers/service.js';

const { CompressionCodecs, CompressionTypes } = kafkajs;

// The broker checks every compressed batch it is sent by decompressing it, and a topic with
// its own `compression.type` has the broker (Java's codecs) write every batch again: so
// the first case proves Java reads what we write, the second that we read what Java writes.
const CODECS = [
  { name: 'snappy', type: CompressionTypes.Snappy },
  { name: 'lz4', type: CompressionTypes.LZ4 },
  { name: 'zstd', type: CompressionTypes.ZSTD },
] as const;

const values = Array.from({ length: 50 }, (_, i) => Buffer.from(JSON.stringify({ event: 'client_event', channel: 'private-chat', seq: i, text: 'hello '.repeat(20) })));

test('kafkajs alone reads no Snappy, LZ4 or ZSTD; createKafka teaches it all three', () => {
  // node:test runs each file in a process of its own: nothing registered them before.
  const codecs = CompressionCodecs as Record<number, () => unknown>;
  for (const codec of CODECS) assert.throws(() => codecs[codec.type]!(), /not implemented/i, codec.name);
  createKafka({ brokers: brokers(), clientId: uniqueName('codecs') });
  for (const codec of CODECS) assert.equal(typeof (codecs[codec.type]!() as { decompress: unknown }).decompress, 'function', codec.name);
});

for (const codec of CODECS) {
  test(`a ${codec.name} batch written by kafkajs is accepted by the broker and read back intact`, async (t) => {
    createKafka({ brokers: brokers(), clientId: uniqueName('codecs') });
    const topic = uniqueName(`codec-${codec.name}`);
    await createTopics(t, [topic]);
    const producer = await createProducer(t);
    await producer.send({ topic, compression: codec.type, messages: values.map((value) => ({ key: 'app-1', value })) });
    const read = await readRecords(t, topic, values.length);
    assert.deepEqual(
      read.map((r) => r.message.value),
      values,
    );
  });

  test(`a ${codec.name} batch written by the broker (topic compression.type=${codec.name}) is read back intact`, async (t) => {
    createKafka({ brokers: brokers(), clientId: uniqueName('codecs') });
    const topic = uniqueName(`codec-broker-${codec.name}`);
    await createTopics(t, [topic], 1, { 'compression.type': codec.name });
    const producer = await createProducer(t);
    await producer.send({ topic, messages: values.map((value) => ({ key: 'app-1', value })) });
    const read = await readRecords(t, topic, values.length);
    assert.deepEqual(
      read.map((r) => r.message.value),
      values,
    );
  });
}

test('the service delivers events that the broker stores LZ4-compressed', async (t) => {
  const receiver = await startReceiver({ apps: { key: 'k1', secret: 's1' } });
  t.after(() => receiver.close());
  const raw = testConfig({ apps: [{ id: 'app1', key: 'k1', secret: 's1', webhooks: [{ url: receiver.url('/hook'), event_types: ['channel_occupied'] }] }] });
  const config = await createServiceTopics(t, raw);
  await withAdmin((admin) =>
    admin.alterConfigs({ validateOnly: false, resources: [{ type: 2 /* topic */, name: config.kafka.topic, configEntries: [{ name: 'compression.type', value: 'lz4' }] }] }),
  );
  await startService(t, raw);
  const producer = createEventProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'node-1' });
  t.after(() => producer.close());
  await producer.publishMany(Array.from({ length: 20 }, (_, i) => ({ id: `lz4-${i}`, app_id: 'app1', name: 'channel_occupied', channel: `room-${i}` })));
  await receiver.waitFor((r) => r.events().length >= 20, 15_000);
  assert.deepEqual(
    receiver.events().map((e) => e.id).sort(),
    Array.from({ length: 20 }, (_, i) => `lz4-${i}`).sort(),
  );
});
