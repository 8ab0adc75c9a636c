import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KNOWN_EVENT_NAMES } from '../../../src/contract/types.js';
import { EventValidationError } from '../../../src/errors.js';
import { validateEvent, type EventDefaults } from '../../../src/producer/validate.js';

const defaults: EventDefaults = { id: () => 'generated-id', timeMs: () => 1_700_000_000_000, nodeId: 'node-1' };

function rejects(input: unknown, field: string, pattern?: RegExp): void {
  assert.throws(
    () => validateEvent(input, defaults),
    (err: unknown) => {
      assert.ok(err instanceof EventValidationError, `expected EventValidationError, got ${String(err)}`);
      assert.equal(err.code, 'HS_EVENT_INVALID');
      assert.equal(err.field, field, `field of: ${err.message}`);
      if (pattern) assert.match(err.message, pattern);
      return true;
    },
  );
}

const NULLS = { channel: null, event: null, data: null, socket_id: null, user_id: null, subscription_count: null };

describe('validateEvent: valid events of every kind', () => {
  const cases: Record<string, Record<string, unknown>> = {
    channel_occupied: { channel: 'my-channel' },
    channel_vacated: { channel: 'private-x' },
    cache_miss: { channel: 'cache-foo' },
    member_added: { channel: 'presence-room', user_id: 'u1', socket_id: '1.2', data: '{"name":"Ann"}' },
    member_removed: { channel: 'presence-room', user_id: 'u1', socket_id: '1.2' },
    client_event: { channel: 'presence-room', event: 'client-typing', data: '{"on":true}', socket_id: '1.2', user_id: 'u1' },
    subscription_count: { channel: 'my-channel', subscription_count: 3 },
    connection_established: { socket_id: '123.456' },
    connection_terminated: { socket_id: '123.456' },
  };
  it('covers every known event name', () => {
    assert.deepEqual(Object.keys(cases).sort(), [...KNOWN_EVENT_NAMES].sort());
  });
  for (const [name, fields] of Object.entries(cases)) {
    it(name, () => {
      const out = validateEvent({ app_id: 'app-1', name, ...fields }, defaults);
      assert.deepEqual(out, {
        ...NULLS,
        id: 'generated-id',
        app_id: 'app-1',
        name,
        time_ms: 1_700_000_000_000,
        node_id: 'node-1',
        ...fields,
      });
    });
  }

  it('keeps a given id, time_ms and node_id and does not call the defaults', () => {
    const never: EventDefaults = {
      id: () => assert.fail('id default used'),
      timeMs: () => assert.fail('time default used'),
      nodeId: 'node-1',
    };
    const out = validateEvent({ app_id: 'a', name: 'channel_occupied', channel: 'c', id: 'e-1', time_ms: 5, node_id: 'n-9' }, never);
    assert.equal(out.id, 'e-1');
    assert.equal(out.time_ms, 5);
    assert.equal(out.node_id, 'n-9');
  });

  it('treats null optional fields as absent (a decoded event can be published again)', () => {
    const out = validateEvent({ ...NULLS, app_id: 'a', name: 'connection_established', socket_id: '1.1', id: null, time_ms: null, node_id: null }, defaults);
    assert.deepEqual(out, { ...NULLS, id: 'generated-id', app_id: 'a', name: 'connection_established', socket_id: '1.1', time_ms: 1_700_000_000_000, node_id: 'node-1' });
  });

  it('passes unknown event names with any schema fields', () => {
    const out = validateEvent({ app_id: 'a', name: 'custom_thing', channel: 'c', data: 'x', subscription_count: 0 }, defaults);
    assert.equal(out.name, 'custom_thing');
    assert.equal(out.subscription_count, 0);
    assert.equal(out.data, 'x');
  });

  it('accepts empty data for a client event', () => {
    assert.equal(validateEvent({ app_id: 'a', name: 'client_event', channel: 'private-c', event: 'client-x', data: '' }, defaults).data, '');
  });
});

describe('validateEvent: refusals name the field', () => {
  it('refuses non-objects', () => {
    for (const bad of [null, undefined, 'x', 42, [], [{ app_id: 'a' }]]) rejects(bad, 'event', /JSON object/);
  });

  it('requires app_id and name as non-empty strings', () => {
    rejects({ name: 'channel_occupied', channel: 'c' }, 'app_id', /required/);
    rejects({ app_id: '', name: 'channel_occupied', channel: 'c' }, 'app_id');
    rejects({ app_id: 7, name: 'channel_occupied', channel: 'c' }, 'app_id');
    rejects({ app_id: 'a', channel: 'c' }, 'name');
    rejects({ app_id: 'a', name: '', channel: 'c' }, 'name');
  });

  it('refuses unknown keys', () => {
    rejects({ app_id: 'a', name: 'channel_occupied', channel: 'c', chanel: 'typo' }, 'chanel', /unknown field/);
    rejects({ app_id: 'a', name: 'channel_occupied', channel: 'c', socket_id2: undefined }, 'socket_id2');
  });

  it('requires each kind\'s fields', () => {
    rejects({ app_id: 'a', name: 'channel_occupied' }, 'channel', /channel_occupied needs "channel"/);
    rejects({ app_id: 'a', name: 'channel_vacated', channel: null }, 'channel');
    rejects({ app_id: 'a', name: 'cache_miss' }, 'channel');
    rejects({ app_id: 'a', name: 'member_added', channel: 'presence-r' }, 'user_id');
    rejects({ app_id: 'a', name: 'member_removed', user_id: 'u' }, 'channel');
    rejects({ app_id: 'a', name: 'client_event', channel: 'private-c' }, 'event');
    rejects({ app_id: 'a', name: 'client_event', event: 'client-x' }, 'channel');
    rejects({ app_id: 'a', name: 'subscription_count', channel: 'c' }, 'subscription_count');
    rejects({ app_id: 'a', name: 'connection_established' }, 'socket_id');
    rejects({ app_id: 'a', name: 'connection_terminated', channel: 'c' }, 'socket_id');
  });

  it('refuses fields that are not part of the kind', () => {
    rejects({ app_id: 'a', name: 'channel_occupied', channel: 'c', socket_id: '1.1' }, 'socket_id', /not a field of channel_occupied/);
    rejects({ app_id: 'a', name: 'connection_established', socket_id: '1.1', channel: 'c' }, 'channel');
    rejects({ app_id: 'a', name: 'member_removed', channel: 'presence-r', user_id: 'u', data: '{}' }, 'data');
    rejects({ app_id: 'a', name: 'subscription_count', channel: 'c', subscription_count: 1, user_id: 'u' }, 'user_id');
  });

  it('member events need a presence channel, and member_added data must be JSON', () => {
    rejects({ app_id: 'a', name: 'member_added', channel: 'private-r', user_id: 'u' }, 'channel', /presence/);
    rejects({ app_id: 'a', name: 'member_removed', channel: 'room', user_id: 'u' }, 'channel', /presence/);
    rejects({ app_id: 'a', name: 'member_added', channel: 'presence-r', user_id: 'u', data: '{not json' }, 'data', /JSON/);
  });

  it('client_event carries user_id on presence channels only', () => {
    rejects({ app_id: 'a', name: 'client_event', channel: 'private-c', event: 'client-x', user_id: 'u' }, 'user_id', /presence/);
  });

  it('subscription_count is an int32 >= 0 and never for presence channels', () => {
    for (const bad of [-1, 1.5, '3', Number.NaN, 2 ** 31, true]) {
      rejects({ app_id: 'a', name: 'subscription_count', channel: 'c', subscription_count: bad }, 'subscription_count');
    }
    rejects({ app_id: 'a', name: 'subscription_count', channel: 'presence-r', subscription_count: 1 }, 'channel', /presence/);
  });

  it('time_ms is a non-negative safe integer', () => {
    for (const bad of [1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, '1700000000000', 2 ** 53]) {
      rejects({ app_id: 'a', name: 'channel_occupied', channel: 'c', time_ms: bad }, 'time_ms');
    }
  });

  it('strings are strings, and ids and names are not empty', () => {
    rejects({ app_id: 'a', name: 'channel_occupied', channel: 42 }, 'channel', /string/);
    rejects({ app_id: 'a', name: 'channel_occupied', channel: '' }, 'channel', /non-empty/);
    rejects({ app_id: 'a', name: 'client_event', channel: 'private-c', event: 'client-x', data: { a: 1 } }, 'data', /string/);
    rejects({ app_id: 'a', name: 'connection_established', socket_id: 1.1 }, 'socket_id');
    rejects({ app_id: 'a', name: 'channel_occupied', channel: 'c', id: '' }, 'id');
    rejects({ app_id: 'a', name: 'channel_occupied', channel: 'c', id: 12 }, 'id');
    rejects({ app_id: 'a', name: 'channel_occupied', channel: 'c', node_id: 3 }, 'node_id');
  });
});
