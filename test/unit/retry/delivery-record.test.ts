import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSchemasDir } from '../../../src/contract/index.js';
import { encodeEvent } from '../../../src/contract/index.js';
import { DecodeError } from '../../../src/errors.js';
import { decodeDeliveryRecord, deliveryCodec, encodeDeliveryRecord, peekDelivery, withNotBefore, type WebhookDeliveryRecord } from '../../../src/pipeline/retry/delivery-record.js';

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

test('encodeDeliveryRecord writes the same bytes as the codec, copying known event bodies instead of encoding them', () => {
  const event = (i: number): WebhookDeliveryRecord['events'][number] => ({
    id: `e${i}`, app_id: 'a', name: i % 2 ? 'member_added' : 'client_event', channel: 'presence-ü', event: i % 2 ? null : 'client-x', data: i % 2 ? null : '{"n":' + i + '}',
    socket_id: '1.2', user_id: i % 2 ? `u${i}` : null, subscription_count: i % 3 ? null : i, time_ms: 1_700_000_000_000 + i, node_id: i % 2 ? 'n1' : null,
  });
  const head = { delivery_id: 'd-9', app_id: 'a', webhook_id: 'hook', attempt: 4, tier: 3, not_before_ms: 1_700_000_009_000, first_failure_ms: 1_700_000_000_001, last_error: 'http_status 503: busy', replay: false };
  for (const n of [0, 1, 7, 130]) {
    const events = Array.from({ length: n }, (_, i) => event(i));
    const expected = deliveryCodec().encode({ ...head, events });
    const withBodies = events.map((e) => ({ event: e, record: encodeEvent(e) }));
    assert.ok(encodeDeliveryRecord(head, withBodies).equals(expected), `${n} events with bodies`);
    assert.ok(encodeDeliveryRecord(head, events.map((e) => ({ event: e }))).equals(expected), `${n} events encoded`);
    const mixed = withBodies.map((e, i) => (i % 2 ? { event: e.event } : e));
    assert.ok(encodeDeliveryRecord({ ...head, replay: true }, mixed).equals(deliveryCodec().encode({ ...head, replay: true, events })), `${n} mixed`);
  }
  // The body is used as given (the service only passes bodies it has just decoded):
  // a wrong one shows up in the record, which proves it was copied, not re-encoded.
  const e = event(0);
  const other = encodeEvent({ ...e, id: 'not-e0' });
  assert.equal(deliveryCodec().decode(encodeDeliveryRecord(head, [{ event: e, record: other }])).events[0]!.id, 'not-e0');
});

test('decodeDeliveryRecord reads what the codec reads, and refuses a block count the bytes cannot hold instead of building it', () => {
  const event = (i: number): WebhookDeliveryRecord['events'][number] => ({
    id: `e${i}`, app_id: 'a', name: 'client_event', channel: 'private-x', event: 'client-x', data: 'd'.repeat(i), socket_id: '1.2', user_id: null, subscription_count: null, time_ms: 1_700_000_000_000 + i, node_id: i % 2 ? 'n' : null,
  });
  const base = { delivery_id: 'd-1', app_id: 'a', webhook_id: 'w', attempt: 2, tier: 1, not_before_ms: 1_700_000_000_500, first_failure_ms: 1_700_000_000_100, last_error: 'http_status 500', replay: true };
  for (const n of [0, 1, 3, 120]) {
    const value = deliveryCodec().encode({ ...base, events: Array.from({ length: n }, (_, i) => event(i)) });
    assert.deepEqual({ ...decodeDeliveryRecord(value) }, { ...deliveryCodec().decode(value) }, `${n} events`);
  }
  // The head, then a block count of 10^8 events (zig-zag varint), then a few bytes.
  const head = deliveryCodec().encode({ ...base, events: [] });
  const peeked = peekDelivery(head)!;
  const hugeCount = Buffer.from([0x80, 0x84, 0xaf, 0x5f]); // 2 * 100_000_000
  const crafted = Buffer.concat([head.subarray(0, peeked.end), hugeCount, Buffer.alloc(64)]);
  const started = performance.now();
  assert.throws(() => decodeDeliveryRecord(crafted), (err: unknown) => err instanceof DecodeError && err.code === 'HS_DECODE_CORRUPT' && /100000000 events cannot fit/.test(err.message));
  assert.ok(performance.now() - started < 100, 'refused before reading any event');
  // Cut short, or with bytes after the body: corrupt, as the codec says too.
  const value = deliveryCodec().encode({ ...base, events: [event(1), event(2)] });
  assert.throws(() => decodeDeliveryRecord(value.subarray(0, value.length - 3)), DecodeError);
  assert.throws(() => decodeDeliveryRecord(Buffer.concat([value, Buffer.from([0])])), /trailing byte/);
});
