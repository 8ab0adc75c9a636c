import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProducer } from '../../../src/producer/index.js';
import { brokers } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, startService, testConfig, waitUntil } from '../../helpers/service.js';

test('events published by a socket node reach the webhook that selects them, signed', async (t) => {
  const receiver = await startReceiver({ apps: { key: 'k1', secret: 's1' } });
  t.after(() => receiver.close());
  const raw = testConfig({
    apps: [{ id: 'app1', key: 'k1', secret: 's1', webhooks: [{ url: receiver.url('/hook'), event_types: ['channel_occupied', 'member_added'] }] }],
  });
  const config = await createServiceTopics(t, raw);
  const service = await startService(t, raw);
  const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId: 'node-1' });
  t.after(() => producer.close());
  await producer.publishMany([
    { app_id: 'app1', name: 'channel_occupied', channel: 'room-1' },
    { app_id: 'app1', name: 'client_event', channel: 'private-room', event: 'client-x', data: '{}', socket_id: '1.1' },
    { app_id: 'app1', name: 'member_added', channel: 'presence-room', user_id: 'u1' },
  ]);
  await receiver.waitFor((r) => r.events().length >= 2, 15_000);
  assert.deepEqual(receiver.events().map((e) => e.name), ['channel_occupied', 'member_added']);
  assert.equal(receiver.invalidCount, 0);
  await waitUntil(() => service.inFlightEvents === 0, 5000, 'nothing in flight');
});
