import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecodeError, EventValidationError } from '../../../src/errors.js';
import {
  EVENT_SCHEMA_FINGERPRINT_HEX,
  KNOWN_EVENT_NAMES,
  SINGLE_OBJECT_HEADER_LENGTH,
  decodeEvent,
  encodeEvent,
  eventCodec,
  type WebhookEvent,
} from '../../../src/contract/index.js';
import { sampleEvents } from './events.js';

test('every known event kind, and an unknown name, survives encode then decode unchanged', () => {
  const samples = sampleEvents();
  for (const name of [...KNOWN_EVENT_NAMES, 'unknown'] as const) {
    const event = samples[name];
    const decoded = decodeEvent(encodeEvent(event));
    assert.deepStrictEqual(decoded, event, name);
  }
});

test('encoded events start with C3 01 and the current schema fingerprint', () => {
  const buf = encodeEvent(sampleEvents().channel_occupied);
  assert.equal(buf.subarray(0, SINGLE_OBJECT_HEADER_LENGTH).toString('hex'), `c301${EVENT_SCHEMA_FINGERPRINT_HEX}`);
  assert.equal(eventCodec().header.toString('hex'), `c301${EVENT_SCHEMA_FINGERPRINT_HEX}`);
});

test('the wire bytes of the docs/contract.md example are exactly as documented', () => {
  const event: WebhookEvent = {
    id: 'evt-1',
    app_id: 'app-1',
    name: 'channel_occupied',
    channel: 'presence-room',
    event: null,
    data: null,
    socket_id: null,
    user_id: null,
    subscription_count: null,
    time_ms: 1700000000000,
    node_id: 'node-a',
  };
  const expected =
    'c301' + '38db85f4140f8317' + // magic, fingerprint
    '0a' + '6576742d31' + // id "evt-1"
    '0a' + '6170702d31' + // app_id "app-1"
    '20' + '6368616e6e656c5f6f63637570696564' + // name "channel_occupied"
    '02' + '1a' + '70726573656e63652d726f6f6d' + // channel: branch 1, "presence-room"
    '00' + '00' + '00' + '00' + '00' + // event, data, socket_id, user_id, subscription_count: branch 0 (null)
    '80a0abfef962' + // time_ms 1700000000000, zig-zag varint
    '02' + '0c' + '6e6f64652d61'; // node_id: branch 1, "node-a"
  const buf = encodeEvent(event);
  assert.equal(buf.toString('hex'), expected);
  assert.deepStrictEqual(decodeEvent(Buffer.from(expected, 'hex')), event);
});

test('decoded events are plain objects with null optionals and a numeric time_ms', () => {
  const decoded = decodeEvent(encodeEvent(sampleEvents().cache_miss));
  assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
  assert.equal(typeof decoded.time_ms, 'number');
  assert.equal(decoded.user_id, null);
  assert.deepStrictEqual(Object.keys(decoded), [
    'id', 'app_id', 'name', 'channel', 'event', 'data', 'socket_id', 'user_id', 'subscription_count', 'time_ms', 'node_id',
  ]);
  assert.deepStrictEqual(structuredClone(decoded), decoded);
});

test('large events grow the scratch buffer and later small events still encode right', () => {
  const small = sampleEvents().client_event;
  for (const size of [5000, 100_000, 2_000_000, 10]) {
    const event = { ...small, data: 'x'.repeat(size) };
    assert.deepStrictEqual(decodeEvent(encodeEvent(event)), event, `data of ${size} chars`);
  }
  assert.deepStrictEqual(decodeEvent(encodeEvent(small)), small);
});

test('each encode returns its own buffer, untouched by later encodes', () => {
  const samples = sampleEvents();
  const first = encodeEvent(samples.member_added);
  const copy = Buffer.from(first);
  encodeEvent(samples.client_event);
  assert.deepStrictEqual(first, copy);
});

test('an event that does not fit the schema is refused with HS_EVENT_INVALID naming the field', () => {
  const event = sampleEvents().subscription_count;
  const cases: [unknown, string][] = [
    [{ ...event, time_ms: '1732812345678' }, 'time_ms'],
    [{ ...event, subscription_count: 1.5 }, 'subscription_count'],
    [{ ...event, id: undefined }, 'id'],
  ];
  for (const [bad, field] of cases) {
    assert.throws(
      () => encodeEvent(bad as WebhookEvent),
      (err: unknown) => err instanceof EventValidationError && err.code === 'HS_EVENT_INVALID' && err.field === field,
      field,
    );
  }
});

test('records that are not single objects of a known schema fail with explicit DecodeError codes', () => {
  const good = encodeEvent(sampleEvents().client_event);
  const unknownFingerprint = Buffer.from(good);
  unknownFingerprint.writeUInt32LE(0xdeadbeef, 2);
  const cases: [string, Buffer, string, RegExp][] = [
    ['empty', Buffer.alloc(0), 'HS_DECODE_BAD_MAGIC', /expected c301/],
    ['JSON', Buffer.from('{"id":"x"}'), 'HS_DECODE_BAD_MAGIC', /got 7b22/],
    ['Confluent wire format', Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), good.subarray(10)]), 'HS_DECODE_BAD_MAGIC', /got 0000/],
    ['unknown fingerprint', unknownFingerprint, 'HS_DECODE_UNKNOWN_FINGERPRINT', /efbeadde140f8317/],
    ['short header', good.subarray(0, 6), 'HS_DECODE_CORRUPT', /header/],
    ['header only', good.subarray(0, 10), 'HS_DECODE_CORRUPT', /truncated/],
    ['truncated body', good.subarray(0, good.length - 3), 'HS_DECODE_CORRUPT', /truncated/],
    ['trailing bytes', Buffer.concat([good, Buffer.from([0x00, 0x01])]), 'HS_DECODE_CORRUPT', /2 trailing/],
    // union branch index 7 where channel's ["null","string"] has two
    ['bad union branch', Buffer.concat([good.subarray(0, 10), Buffer.from('0261026102610e', 'hex')]), 'HS_DECODE_CORRUPT', /union/],
  ];
  for (const [label, buf, code, message] of cases) {
    assert.throws(
      () => decodeEvent(buf),
      (err: unknown) => err instanceof DecodeError && err.code === code && message.test(err.message),
      label,
    );
  }
});
