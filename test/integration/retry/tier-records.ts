/**
 * Hand-made retry-tier records, for tests that put records straight on a tier (damaged,
 * empty, far-future or large ones) instead of making an endpoint fail.
 */
import type { TestContext } from 'node:test';
import type { Producer } from 'kafkajs';
import type { HookstreamConfig } from '../../../src/config/types.js';
import type { WebhookEvent } from '../../../src/contract/types.js';
import { topicNames, type TopicNames } from '../../../src/kafka/topics.js';
import { deliveryCodec, type WebhookDeliveryRecord } from '../../../src/pipeline/retry/delivery-record.js';
import type { HookstreamService } from '../../../src/pipeline/service.js';
import { createProducer } from '../../helpers/kafka.js';
import { startReceiver, type Receiver, type ReceiverOptions } from '../../helpers/receiver.js';
import { createServiceTopics, startService, testConfig } from '../../helpers/service.js';

/** A channel_occupied event of app1 with this id. */
export function tierEvent(id: string): WebhookEvent {
  return { id, app_id: 'app1', name: 'channel_occupied', channel: 'room', event: null, data: null, socket_id: null, user_id: null, subscription_count: null, time_ms: Date.now(), node_id: null };
}

/** The encoded record of a batch for app1's webhook `hook`, due now unless told otherwise. */
export function tierRecord(deliveryId: string, eventIds: readonly string[], fields: Partial<WebhookDeliveryRecord> = {}): Buffer {
  return deliveryCodec().encode({
    delivery_id: deliveryId, app_id: 'app1', webhook_id: 'hook', attempt: 1, tier: 0, not_before_ms: Date.now(), first_failure_ms: Date.now(), last_error: 'test', replay: false,
    events: eventIds.map(tierEvent),
    ...fields,
  });
}

/** The config of one app (`app1`, key k1, secret s1) with one webhook `hook` at `url`. */
function oneHookApp(url: string): { id: string; key: string; secret: string; webhooks: { id: string; url: string; event_types: string[] }[] } {
  return { id: 'app1', key: 'k1', secret: 's1', webhooks: [{ id: 'hook', url, event_types: ['channel_occupied'] }] };
}

/**
 * A receiver for app1, fresh topics (one partition), a running service delivering to it
 * and a plain producer to put records on a tier; all closed after the test.
 */
export async function tierTest(
  t: TestContext,
  options: { receiver?: ReceiverOptions; delivery?: Record<string, unknown> } = {},
): Promise<{ receiver: Receiver; config: HookstreamConfig; names: TopicNames; service: HookstreamService; producer: Producer }> {
  const receiver = await startReceiver({ apps: [{ key: 'k1', secret: 's1' }], ...options.receiver });
  t.after(() => receiver.close());
  const raw = testConfig({ apps: [oneHookApp(receiver.url('/h'))], partitions: 1, ...(options.delivery ? { delivery: options.delivery } : {}) });
  const config = await createServiceTopics(t, raw);
  const service = await startService(t, raw);
  const producer = await createProducer(t);
  return { receiver, config, names: topicNames(config), service, producer };
}
