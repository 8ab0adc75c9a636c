import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventRuleViolation, keepsEventRules } from '../../../src/contract/event-rules.js';
import type { WebhookEvent } from '../../../src/contract/types.js';

function event(fields: Partial<WebhookEvent>): WebhookEvent {
  return { id: 'e1', app_id: 'a1', name: 'channel_occupied', channel: 'room', event: null, data: null, socket_id: null, user_id: null, subscription_count: null, time_ms: 1, node_id: null, ...fields };
}

test('events of the compatibility table pass the service-side check', () => {
  const ok: Partial<WebhookEvent>[] = [
    { name: 'channel_occupied' },
    { name: 'channel_vacated' },
    { name: 'cache_miss' },
    { name: 'member_added', channel: 'presence-r', user_id: 'u', socket_id: '1.2', data: '{"n":1}' },
    { name: 'member_added', channel: 'presence-r', user_id: 'u' },
    { name: 'member_removed', channel: 'presence-r', user_id: 'u', socket_id: '1.2' },
    { name: 'client_event', channel: 'private-r', event: 'client-x', data: '', socket_id: '1.2' },
    { name: 'client_event', channel: 'presence-r', event: 'client-x', data: '{}', socket_id: '1.2', user_id: 'u' },
    { name: 'subscription_count', channel: 'room', subscription_count: 0 },
    { name: 'connection_established', channel: null, socket_id: '1.2' },
    { name: 'connection_terminated', channel: null, socket_id: '1.2' },
    // Another server's custom event passes with whatever fields it has.
    { name: 'custom_thing', channel: null, data: 'x', subscription_count: 5 },
  ];
  for (const fields of ok) {
    assert.equal(eventRuleViolation(event(fields)), undefined, JSON.stringify(fields));
    assert.equal(keepsEventRules(event(fields)), true, JSON.stringify(fields));
  }
});

test('each broken rule is found and named by its field', () => {
  const cases: [Partial<WebhookEvent>, string, RegExp][] = [
    [{ name: 'channel_occupied', data: '{}' }, 'data', /"data" is not a field of channel_occupied/],
    [{ name: 'channel_vacated', channel: null }, 'channel', /channel_vacated needs "channel"/],
    [{ name: 'member_removed', channel: 'presence-r' }, 'user_id', /needs "user_id"/],
    [{ name: 'member_added', channel: 'private-r', user_id: 'u' }, 'channel', /presence channels only/],
    [{ name: 'member_added', channel: 'presence-r', user_id: 'u', data: 'not json' }, 'data', /JSON string/],
    [{ name: 'client_event', channel: 'private-r', event: 'client-x', user_id: 'u' }, 'user_id', /presence channels only/],
    [{ name: 'client_event', channel: 'private-r' }, 'event', /needs "event"/],
    [{ name: 'subscription_count', channel: 'presence-r', subscription_count: 1 }, 'channel', /never sent for presence/],
    [{ name: 'subscription_count', channel: 'room', subscription_count: -1 }, 'subscription_count', /integer from 0/],
    [{ name: 'connection_established', channel: 'room', socket_id: '1.2' }, 'channel', /not a field of connection_established/],
    [{ name: 'connection_terminated', channel: null, socket_id: '' }, 'socket_id', /non-empty/],
    [{ name: '' }, 'name', /non-empty/],
    [{ app_id: '' }, 'app_id', /non-empty/],
    [{ name: 'channel_occupied', channel: 'room', time_ms: -1 }, 'time_ms', /non-negative/],
  ];
  for (const [fields, field, message] of cases) {
    assert.equal(keepsEventRules(event(fields)), false, JSON.stringify(fields));
    const v = eventRuleViolation(event(fields));
    assert.ok(v, `expected a violation for ${JSON.stringify(fields)}`);
    assert.equal(v.field, field, JSON.stringify(fields));
    assert.match(v.message, message);
  }
});

test('the fast check and the detailed one agree on every combination of fields, values and names', () => {
  const names = ['channel_occupied', 'channel_vacated', 'cache_miss', 'member_added', 'member_removed', 'client_event', 'subscription_count', 'connection_established', 'connection_terminated', 'custom'];
  const channels = [null, '', 'room', 'private-r', 'presence-r'];
  const strings = [null, '', 'x', '{"a":1}'];
  const counts = [null, -1, 0, 5, 2 ** 31];
  let checked = 0;
  for (const name of names)
    for (const channel of channels)
      for (const data of strings)
        for (const user_id of strings)
          for (const socket_id of [null, '', '1.2'])
            for (const subscription_count of counts)
              for (const ev of [null, 'client-x']) {
                const e = event({ name, channel, data, user_id, socket_id, subscription_count, event: ev });
                assert.equal(keepsEventRules(e), eventRuleViolation(e) === undefined, JSON.stringify(e));
                checked++;
              }
  assert.equal(checked, 24_000);
});
