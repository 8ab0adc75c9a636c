import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topicNames } from '../../../src/kafka/topics.js';
import { deliveryCodec } from '../../../src/pipeline/retry/delivery-record.js';
import { createProducer } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, startService, testConfig, waitUntil } from '../../helpers/service.js';

test('a retry record due much further ahead than its tier delay (a clock ahead, a damaged record) is delivered now, not held for hours', async (t) => {
  const receiver = await startReceiver({ apps: [{ key: 'k1', secret: 's1' }] });
  t.after(() => receiver.close());
  const raw = testConfig({ apps: [{ id: 'app1', key: 'k1', secret: 's1', webhooks: [{ id: 'hook', url: receiver.url('/h'), event_types: ['channel_occupied'] }] }], partitions: 1 });
  const config = await createServiceTopics(t, raw);
  const names = topicNames(config);
  const service = await startService(t, raw);
  const record = (id: string, notBeforeMs: number) =>
    deliveryCodec().encode({
      delivery_id: `d-${id}`, app_id: 'app1', webhook_id: 'hook', attempt: 1, tier: 0, not_before_ms: notBeforeMs, first_failure_ms: Date.now(), last_error: 'test', replay: false,
      events: [{ id, app_id: 'app1', name: 'channel_occupied', channel: 'room', event: null, data: null, socket_id: null, user_id: null, subscription_count: null, time_ms: Date.now(), node_id: null }],
    });
  const producer = await createProducer(t);
  // On the 1 s tier: an hour ahead, then past 2^31 ms (where a Node timer fires at once).
  const started = Date.now();
  await producer.send({
    topic: names.retries[0]!.name,
    messages: [{ key: 'app1', value: record('hour-ahead', Date.now() + 3_600_000) }, { key: 'app1', value: record('years-ahead', Date.now() + 2 ** 40) }],
  });

  await receiver.waitFor((r) => r.acceptedEvents().length >= 2, 15_000);
  t.diagnostic(`both delivered ${Date.now() - started} ms after they were written`);
  assert.deepEqual(receiver.acceptedEvents().map((e) => e.id), ['hour-ahead', 'years-ahead']);
  await waitUntil(() => service.inFlightEvents === 0, 5_000, 'nothing left in flight');
});

test('a retry record due within its tier delay is still held until then', async (t) => {
  const receiver = await startReceiver({ apps: [{ key: 'k1', secret: 's1' }] });
  t.after(() => receiver.close());
  const raw = testConfig({ apps: [{ id: 'app1', key: 'k1', secret: 's1', webhooks: [{ id: 'hook', url: receiver.url('/h'), event_types: ['channel_occupied'] }] }], partitions: 1 });
  const config = await createServiceTopics(t, raw);
  const names = topicNames(config);
  await startService(t, raw);
  const producer = await createProducer(t);
  // The 2 s tier, due in 1.5 s: plausible, so it waits.
  const due = Date.now() + 1500;
  await producer.send({
    topic: names.retries[1]!.name,
    messages: [{
      key: 'app1',
      value: deliveryCodec().encode({
        delivery_id: 'd-1', app_id: 'app1', webhook_id: 'hook', attempt: 1, tier: 1, not_before_ms: due, first_failure_ms: Date.now(), last_error: 'test', replay: false,
        events: [{ id: 'ev-1', app_id: 'app1', name: 'channel_occupied', channel: 'room', event: null, data: null, socket_id: null, user_id: null, subscription_count: null, time_ms: Date.now(), node_id: null }],
      }),
    }],
  });
  await receiver.waitFor((r) => r.acceptedEvents().length >= 1, 15_000);
  const at = receiver.requests[0]!.receivedAt;
  assert.ok(at >= due, `delivered ${due - at} ms before it was due`);
});
