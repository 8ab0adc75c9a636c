import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSchemasDir } from '../../../src/contract/index.js';
import { deliveryCodec, type WebhookDeliveryRecord } from '../../../src/pipeline/retry/delivery-record.js';

test('the delivery schema embeds exactly the current WebhookEvent schema', () => {
  const dir = defaultSchemasDir();
  const event = JSON.parse(readFileSync(join(dir, 'webhook-event.avsc'), 'utf8')) as unknown;
  const delivery = JSON.parse(readFileSync(join(dir, 'webhook-delivery.avsc'), 'utf8')) as { fields: { name: string; type: { items?: unknown } }[] };
  const events = delivery.fields.find((f) => f.name === 'events');
  assert.deepEqual(events?.type.items, event, 'update webhook-delivery.avsc when webhook-event.avsc changes');
});

test('delivery records round-trip, and carry no secret or header by construction', () => {
  const record: WebhookDeliveryRecord = {
    delivery_id: 'd-1', app_id: 'a', webhook_id: 'w', attempt: 2, tier: 1, not_before_ms: 1_700_000_000_123,
    events: [{ id: 'e1', app_id: 'a', name: 'member_added', channel: 'presence-x', event: null, data: '{}', socket_id: '1.2', user_id: 'u', subscription_count: null, time_ms: 1_700_000_000_000, node_id: 'n1' }],
    first_failure_ms: 1_700_000_000_100, last_error: 'http_status 500: boom', replay: false,
  };
  const decoded = deliveryCodec().decode(deliveryCodec().encode(record));
  assert.deepEqual(decoded, record);
  const fields = (JSON.parse(readFileSync(join(defaultSchemasDir(), 'webhook-delivery.avsc'), 'utf8')) as { fields: { name: string }[] }).fields.map((f) => f.name);
  for (const forbidden of ['secret', 'headers', 'url', 'key']) assert.ok(!fields.includes(forbidden), `no ${forbidden} field`);
});
