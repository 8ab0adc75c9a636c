import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebhookEvent } from '../../../src/contract/types.js';
import { BODY_OVERHEAD_BYTES, bodyBytes, buildBody, eventBytes, eventJson } from '../../../src/pipeline/deliver/wire.js';

const base: WebhookEvent = {
  id: 'evt-1',
  app_id: 'app-1',
  name: 'channel_occupied',
  channel: 'chat',
  event: null,
  data: null,
  socket_id: null,
  user_id: null,
  subscription_count: null,
  time_ms: 1_700_000_000_123,
  node_id: 'node-a',
};

test('eventJson omits null fields and never sends app_id or node_id', () => {
  const json = eventJson(base);
  assert.equal(json, '{"name":"channel_occupied","channel":"chat","time_ms":1700000000123,"id":"evt-1"}');
  assert.doesNotMatch(json, /null/);
  assert.doesNotMatch(json, /app_id|node_id/);
});

test('eventJson writes every field in the documented order', () => {
  const full: WebhookEvent = {
    ...base,
    name: 'client_event',
    channel: 'presence-room',
    event: 'client-move',
    data: '{"x":1}',
    socket_id: '123.456',
    user_id: 'u-1',
    subscription_count: 7,
  };
  const parsed = JSON.parse(eventJson(full)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), ['name', 'channel', 'event', 'data', 'socket_id', 'user_id', 'subscription_count', 'time_ms', 'id']);
  assert.equal(parsed.data, '{"x":1}', 'data stays a JSON string, as Pusher sends it');
  assert.equal(parsed.subscription_count, 7);
});

test('eventJson per event type carries exactly the compatibility table fields (+ id), in its order', () => {
  const cases: Array<[Partial<WebhookEvent>, string[]]> = [
    [{ name: 'channel_vacated' }, ['name', 'channel', 'time_ms', 'id']],
    [{ name: 'member_added', user_id: 'u', socket_id: '1.2', data: '{}' }, ['name', 'channel', 'user_id', 'socket_id', 'data', 'time_ms', 'id']],
    [{ name: 'member_removed', user_id: 'u', socket_id: '1.2' }, ['name', 'channel', 'user_id', 'socket_id', 'time_ms', 'id']],
    [{ name: 'member_added', user_id: 'u', socket_id: null, data: null }, ['name', 'channel', 'user_id', 'time_ms', 'id']],
    [{ name: 'client_event', event: 'client-x', data: '{}', socket_id: '1.2', user_id: 'u' }, ['name', 'channel', 'event', 'data', 'socket_id', 'user_id', 'time_ms', 'id']],
    [{ name: 'subscription_count', subscription_count: 0 }, ['name', 'channel', 'subscription_count', 'time_ms', 'id']],
    [{ name: 'connection_established', channel: null, socket_id: '1.2' }, ['name', 'socket_id', 'time_ms', 'id']],
  ];
  for (const [patch, keys] of cases) {
    const parsed = JSON.parse(eventJson({ ...base, ...patch })) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), keys, String(patch.name));
  }
});

test('eventJson escapes strings as JSON (quotes, unicode, line separators)', () => {
  const tricky = { ...base, channel: 'a"b\\c', data: 'line\u2028sep "q" é 🎉' };
  const parsed = JSON.parse(eventJson(tricky)) as { channel: string; data: string };
  assert.equal(parsed.channel, 'a"b\\c');
  assert.equal(parsed.data, 'line\u2028sep "q" é 🎉');
});

test('eventJson writes exactly what JSON.stringify writes for every kind of string', () => {
  const strings = ['', 'plain-ascii_1.2:3', 'a"b', 'back\\slash', 'tab\tnl\n', '\u0000\u001f\u007f', 'é ü 中文', '🎉', '\ud800 lone', 'line\u2028sep', '~!@#$%^&*()[]{}<>?/|'];
  for (const s of strings) {
    const event = { ...base, name: s, channel: s, event: s, data: s, socket_id: s, user_id: s, id: s, subscription_count: 7 };
    const reference =
      `{"name":${JSON.stringify(s)},"channel":${JSON.stringify(s)},"event":${JSON.stringify(s)},"data":${JSON.stringify(s)},` +
      `"socket_id":${JSON.stringify(s)},"user_id":${JSON.stringify(s)},"subscription_count":7,"time_ms":${base.time_ms},"id":${JSON.stringify(s)}}`;
    assert.equal(eventJson(event), reference, JSON.stringify(s));
  }
});

test('buildBody concatenates the body with the top-level time_ms first', () => {
  const events = [eventJson(base), eventJson({ ...base, id: 'evt-2', time_ms: 1_700_000_000_999 })];
  const body = buildBody(events, 1_700_000_001_000);
  assert.equal(body, `{"time_ms":1700000001000,"events":[${events[0]},${events[1]}]}`);
  const parsed = JSON.parse(body) as { time_ms: number; events: Array<{ time_ms: number }> };
  assert.deepEqual(Object.keys(parsed), ['time_ms', 'events']);
  assert.equal(parsed.events[1]!.time_ms, 1_700_000_000_999, 'each event keeps its own time_ms');
  assert.equal(buildBody([], 1_700_000_001_000), '{"time_ms":1700000001000,"events":[]}');
});

test('bodyBytes is the exact UTF-8 length of the built body for a 13-digit time_ms', () => {
  const now = 1_700_000_001_000;
  const sets = [[], [eventJson(base)], [eventJson(base), eventJson({ ...base, data: 'é🎉 multi-byte' }), eventJson(base)]];
  for (const events of sets) {
    assert.equal(bodyBytes(events), Buffer.byteLength(buildBody(events, now)), `${events.length} events`);
  }
  const events = sets[2]!;
  const running = BODY_OVERHEAD_BYTES + events.reduce((n, e) => n + eventBytes(e), 0) + events.length - 1;
  assert.equal(running, bodyBytes(events));
});
