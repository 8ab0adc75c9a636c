import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProducer as createRawProducer } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { testConfig, waitUntil } from '../../helpers/service.js';
import { serviceWithDeadLetters } from './support.js';

test('a tombstone (null value) and an empty value on the events topic are dead-lettered as undecodable; the events around them are delivered', async (t) => {
  const receiver = await startReceiver({ apps: { key: 'k1', secret: 's1' } });
  t.after(() => receiver.close());
  const raw = testConfig({ apps: [{ id: 'app1', key: 'k1', secret: 's1', webhooks: [{ url: receiver.url('/h'), event_types: ['channel_occupied'] }] }], partitions: 1 });
  const { names, service, dlqReader, producer } = await serviceWithDeadLetters(t, raw);
  const plain = await createRawProducer(t);
  await producer.publishMany([{ id: 'before', time_ms: Date.now(), app_id: 'app1', name: 'channel_occupied', channel: 'room-1' }]);
  await plain.send({ topic: names.events, messages: [{ key: 'app1', value: null }, { key: 'app1', value: Buffer.alloc(0) }] });
  await producer.publishMany([{ id: 'after', time_ms: Date.now(), app_id: 'app1', name: 'channel_occupied', channel: 'room-1' }]);

  await dlqReader.waitFor((r) => r.length >= 2, 15_000, 'two dead letters');
  await receiver.waitFor((r) => r.acceptedEvents().length >= 2, 15_000);
  assert.deepEqual(receiver.acceptedEvents().map((e) => e.id), ['before', 'after']);
  assert.deepEqual(dlqReader.records.map((r) => r.headers['hookstream-reason']), ['undecodable', 'undecodable']);
  assert.deepEqual(dlqReader.records.map((r) => r.headers['hookstream-kind']), ['event', 'event']);
  // Two hand-off lanes: the dead letters may be written in either order.
  const errors = dlqReader.records.map((r) => r.headers['hookstream-error']!);
  assert.ok(errors.some((e) => /no value \(tombstone\)/.test(e)), `a tombstone entry among ${JSON.stringify(errors)}`);
  assert.ok(errors.some((e) => /not an Avro single object/.test(e)), `an empty-value entry among ${JSON.stringify(errors)}`);
  assert.deepEqual(dlqReader.records.map((r) => r.message.value?.length ?? 0), [0, 0], 'the original (empty) bytes');
  await waitUntil(() => service.inFlightEvents === 0, 5_000, 'nothing left in flight');
});
