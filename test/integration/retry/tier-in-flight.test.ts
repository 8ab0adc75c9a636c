import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topicNames } from '../../../src/kafka/topics.js';
import { deliveryCodec } from '../../../src/pipeline/retry/delivery-record.js';
import { createProducer } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, startService, testConfig, waitUntil } from '../../helpers/service.js';

test('retry records count in the in-flight budget by their events: a budget of 50 holds two 40-event records, not all of them', async (t) => {
  // Slow enough that every record the consumer takes is in a request at the same time.
  const receiver = await startReceiver({ apps: [{ key: 'k1', secret: 's1' }], delayMs: 800 });
  t.after(() => receiver.close());
  const raw = testConfig({
    apps: [{ id: 'app1', key: 'k1', secret: 's1', webhooks: [{ id: 'hook', url: receiver.url('/h'), event_types: ['channel_occupied'] }] }],
    partitions: 1,
    delivery: { max_in_flight_events: 50 },
  });
  const config = await createServiceTopics(t, raw);
  const names = topicNames(config);
  const service = await startService(t, raw);
  const record = (n: number) =>
    deliveryCodec().encode({
      delivery_id: `d-${n}`, app_id: 'app1', webhook_id: 'hook', attempt: 1, tier: 0, not_before_ms: Date.now(), first_failure_ms: Date.now(), last_error: 'test', replay: false,
      events: Array.from({ length: 40 }, (_, i) => ({ id: `r${n}-e${i}`, app_id: 'app1', name: 'channel_occupied', channel: 'room', event: null, data: null, socket_id: null, user_id: null, subscription_count: null, time_ms: Date.now(), node_id: null })),
    });
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, service.inFlightEvents)), 5);
  t.after(() => clearInterval(sampler));
  const producer = await createProducer(t);
  await producer.send({ topic: names.retries[0]!.name, messages: [1, 2, 3, 4].map((n) => ({ key: 'app1', value: record(n) })) });

  await receiver.waitFor((r) => r.acceptedEvents().length >= 160, 20_000);
  await waitUntil(() => service.inFlightEvents === 0, 5_000, 'nothing left in flight');
  clearInterval(sampler);
  // The first record (40) leaves room, the second (80) fills the budget; the rest wait
  // until half of it is free. Counted as one each, all four would be taken at once.
  assert.equal(peak, 80, `peak in-flight events ${peak}`);
  const concurrent = Math.max(...receiver.requests.map((a) => receiver.requests.filter((b) => b.receivedAt < a.receivedAt + 800 && b.receivedAt >= a.receivedAt).length));
  assert.equal(concurrent, 2, 'at most two records in requests at once');
});
