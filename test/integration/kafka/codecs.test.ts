import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { createKafka } from '../../../src/kafka/client.js';
import { createProducer as createEventProducer } from '../../../src/producer/index.js';
import { brokers, createProducer, createTopics, readRecords, uniqueName, withAdmin } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, startService, testConfig } from '../../helpers/service.js';

const { CompressionTypes } = kafkajs;

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
  // kafkajs' codec registry is process-wide, and other tests of this file (or a runner that
  // shares a process between files) register the codecs: check in a fresh process.
  const client = new URL('../../../src/kafka/client.js', import.meta.url).href;
  const script = `
    const { default: kafkajs } = await import('kafkajs');
    const codecs = kafkajs.CompressionCodecs;
    const state = () => Object.fromEntries(${JSON.stringify(CODECS)}.map(({ name, type }) => {
      try {
        return [name, typeof codecs[type]().decompress];
      } catch (err) {
        return [name, String(err.message)];
      }
    }));
    const before = state();
    const { createKafka } = await import(${JSON.stringify(client)});
    createKafka({ brokers: ${JSON.stringify(brokers())}, clientId: 'codecs' });
    process.stdout.write(JSON.stringify({ before, after: state() }));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000, cwd: fileURLToPath(new URL('.', import.meta.url)) });
  assert.equal(child.status, 0, child.stderr);
  const { before, after } = JSON.parse(child.stdout) as { before: Record<string, string>; after: Record<string, string> };
  for (const codec of CODECS) {
    assert.match(before[codec.name]!, /not implemented/i, `${codec.name} before createKafka`);
    assert.equal(after[codec.name], 'function', `${codec.name} after createKafka`);
  }
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
