import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSchemasDir } from '../../../src/contract/index.js';
import { deliveryCodec, peekDelivery, withNotBefore, type WebhookDeliveryRecord } from '../../../src/pipeline/retry/delivery-record.js';

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

test('peekDelivery reads the head without the events; withNotBefore changes only not_before_ms', () => {
  const events = Array.from({ length: 50 }, (_, i) => ({
    id: `e${i}`, app_id: 'a', name: 'client_event', channel: 'private-x', event: 'client-typing', data: 'x'.repeat(i * 7), socket_id: '1.2', user_id: null, subscription_count: null, time_ms: 1_700_000_000_000 + i, node_id: null,
  }));
  const record: WebhookDeliveryRecord = {
    delivery_id: 'd-7', app_id: 'app-é', webhook_id: 'w', attempt: 3, tier: 2, not_before_ms: 1_700_000_000_500,
    events, first_failure_ms: 1_700_000_000_100, last_error: 'timeout: no answer', replay: true,
  };
  const value = deliveryCodec().encode(record);
  const peeked = peekDelivery(value);
  assert.deepEqual({ ...peeked?.head }, { delivery_id: 'd-7', app_id: 'app-é', webhook_id: 'w', attempt: 3, tier: 2, not_before_ms: 1_700_000_000_500 });
  // A later time needs more varint bytes than the old one: the body must still line up.
  for (const later of [1_700_000_001_000, 2 ** 50, 5]) {
    const moved = deliveryCodec().decode(withNotBefore(value, peeked!, later));
    assert.deepEqual(moved, { ...record, not_before_ms: later });
  }
});

test('peekDelivery declines what it cannot read cheaply: another writer schema, garbage, a cut-off head', () => {
  const value = deliveryCodec().encode({
    delivery_id: 'd-1', app_id: 'a', webhook_id: 'w', attempt: 1, tier: 0, not_before_ms: 1, events: [], first_failure_ms: 1, last_error: '', replay: false,
  });
  const otherFingerprint = Buffer.from(value);
  otherFingerprint[5] ^= 0xff;
  assert.equal(peekDelivery(otherFingerprint), undefined);
  assert.equal(peekDelivery(Buffer.from('not avro at all')), undefined);
  assert.equal(peekDelivery(value.subarray(0, 14)), undefined);
  assert.equal(peekDelivery(Buffer.alloc(0)), undefined);
});
