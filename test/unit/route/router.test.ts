import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/index.js';
import type { WebhookEvent } from '../../../src/contract/types.js';
import { channelNamespace, channelType, matchesFilter } from '../../../src/pipeline/route/filter.js';
import { Router } from '../../../src/pipeline/route/router.js';
import { parseFilter } from '../../../src/config/index.js';

const f = (raw: Record<string, unknown>) => parseFilter(raw, '$.filter');

test('channel types come from the name prefix', () => {
  assert.equal(channelType('private-encrypted-x'), 'private-encrypted');
  assert.equal(channelType('private-x'), 'private');
  assert.equal(channelType('presence-x'), 'presence');
  assert.equal(channelType('x-private-'), 'public');
});

test('namespace is the part before ":" after the type prefix', () => {
  assert.equal(channelNamespace('presence-chat:room-1'), 'chat');
  assert.equal(channelNamespace('chat:room'), 'chat');
  assert.equal(channelNamespace('private-encrypted-dm:1'), 'dm');
  assert.equal(channelNamespace('lobby'), null);
});

test('each filter key selects, and all present keys must match', () => {
  assert.ok(matchesFilter(f({}), null));
  assert.ok(matchesFilter(f({ channel_type: 'presence' }), 'presence-a'));
  assert.ok(!matchesFilter(f({ channel_type: 'private' }), 'private-encrypted-a'));
  assert.ok(matchesFilter(f({ channel_prefix: 'chat-' }), 'chat-1'));
  assert.ok(!matchesFilter(f({ channel_prefix: 'chat-' }), 'xchat-1'));
  assert.ok(matchesFilter(f({ channel_suffix: '-eu' }), 'orders-eu'));
  assert.ok(!matchesFilter(f({ channel_suffix: '-eu' }), 'orders-us'));
  assert.ok(matchesFilter(f({ channel_pattern: 'room-\\d+' }), 'private-room-42-x'), 'unanchored');
  assert.ok(!matchesFilter(f({ channel_pattern: '^room-\\d+$' }), 'private-room-42'));
  assert.ok(matchesFilter(f({ channel_namespace: 'chat' }), 'presence-chat:1'));
  assert.ok(!matchesFilter(f({ channel_namespace: 'chat' }), 'presence-game:1'));
  assert.ok(matchesFilter(f({ channel_namespaces: ['a', 'b'] }), 'b:1'));
  assert.ok(!matchesFilter(f({ channel_namespaces: ['a', 'b'] }), 'c:1'));
  assert.ok(matchesFilter(f({ channel_type: 'presence', channel_prefix: 'presence-admin-' }), 'presence-admin-1'));
  assert.ok(!matchesFilter(f({ channel_type: 'presence', channel_prefix: 'admin-' }), 'presence-admin-1'), 'combined: both must match');
  assert.ok(!matchesFilter(f({ channel_prefix: 'x' }), null), 'a channel filter never selects channel-less events');
});

const event = (over: Partial<WebhookEvent>): WebhookEvent => ({
  id: 'e', app_id: 'a1', name: 'channel_occupied', channel: 'presence-room', event: null, data: null,
  socket_id: null, user_id: null, subscription_count: null, time_ms: 1, node_id: null, ...over,
});

test('router selects the webhooks whose event types and filters match', () => {
  const config = parseConfig({
    app_manager: { array: { apps: [{ id: 'a1', key: 'k', secret: 's', webhooks: [
      { id: 'occ', url: 'http://h/1', event_types: ['channel_occupied'] },
      { id: 'pres', url: 'http://h/2', event_types: ['member_added', 'channel_occupied'], filter: { channel_type: 'presence' } },
      { id: 'custom', url: 'http://h/3', event_types: ['my_event'] },
    ] }] } },
  });
  const router = new Router(config.apps);
  const ids = (e: WebhookEvent) => {
    const r = router.route(e);
    return r.kind === 'routed' ? r.webhooks.map((w) => w.id) : r.kind;
  };
  assert.deepEqual(ids(event({})), ['occ', 'pres']);
  assert.deepEqual(ids(event({ channel: 'public-room' })), ['occ']);
  assert.deepEqual(ids(event({ name: 'member_added' })), ['pres']);
  assert.deepEqual(ids(event({ name: 'client_event' })), []);
  assert.deepEqual(ids(event({ name: 'my_event' })), ['custom'], 'unknown names pass to webhooks that list them');
  assert.equal(ids(event({ app_id: 'nope' })), 'unknown_app');
  assert.equal(router.webhook('a1', 'pres')?.id, 'pres');
  assert.equal(router.webhook('a1', 'gone'), undefined);
});
