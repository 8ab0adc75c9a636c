import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topicNames } from '../../../src/kafka/topics.js';
import { deliveryCodec } from '../../../src/pipeline/retry/delivery-record.js';
import { createProducer, withAdmin } from '../../helpers/kafka.js';
import { startReceiver } from '../../helpers/receiver.js';
import { createServiceTopics, startService, testConfig, waitUntilAsync } from '../../helpers/service.js';

test('a retry record with no events is passed over: committed, holding no in-flight room, and later records are still delivered', async (t) => {
  const receiver = await startReceiver({ apps: [{ key: 'k1', secret: 's1' }] });
  t.after(() => receiver.close());
  const raw = testConfig({ apps: [{ id: 'app1', key: 'k1', secret: 's1', webhooks: [{ id: 'hook', url: receiver.url('/h'), event_types: ['channel_occupied'] }] }], partitions: 1 });
  const config = await createServiceTopics(t, raw);
  const names = topicNames(config);
  const service = await startService(t, raw);
  const tier = names.retries[0]!.name;
  const record = (events: number) =>
    deliveryCodec().encode({
      delivery_id: `d-${events}`, app_id: 'app1', webhook_id: 'hook', attempt: 1, tier: 0, not_before_ms: Date.now(), first_failure_ms: Date.now(), last_error: 'test', replay: false,
      events: Array.from({ length: events }, (_, i) => ({ id: `ev-${i}`, app_id: 'app1', name: 'channel_occupied', channel: 'room', event: null, data: null, socket_id: null, user_id: null, subscription_count: null, time_ms: Date.now(), node_id: null })),
    });
  const producer = await createProducer(t);
  await producer.send({ topic: tier, messages: [{ key: 'app1', value: record(0) }, { key: 'app1', value: record(2) }] });

  await receiver.waitFor((r) => r.acceptedEvents().length >= 2, 15_000);
  assert.deepEqual(receiver.acceptedEvents().map((e) => e.id), ['ev-0', 'ev-1']);
  await waitUntilAsync(async () => service.inFlightEvents === 0, 5_000, 'no in-flight room held');
  // Both records are committed by the tiers' group (the empty one did not hold the offset).
  await waitUntilAsync(
    async () => {
      const [offsets] = await withAdmin((admin) => admin.fetchOffsets({ groupId: `${config.kafka.group_id}.retry`, topics: [tier] }));
      return offsets?.partitions.some((p) => p.offset === '2') ?? false;
    },
    10_000,
    'tier offset committed past both records',
  );
});
