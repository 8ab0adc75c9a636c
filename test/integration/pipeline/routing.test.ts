/**
 * Acceptance: routing, filters, wire format and batching, end to end. Three socket-server
 * nodes publish every event kind for five apps; each webhook must receive exactly the
 * events its event_types and filter select (computed here from the filter rules of the
 * compatibility notes, not by calling the router), signed for its app, batched by
 * size 20 / duration 200 ms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KNOWN_EVENT_NAMES } from '../../../src/contract/index.js';
import { createProducer, type PublishEvent } from '../../../src/producer/index.js';
import { brokers } from '../../helpers/kafka.js';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { createServiceTopics, startService, testConfig, waitUntil, type RawApp } from '../../helpers/service.js';
import { percentile, sleep, stamp, wireEvent, type Stamped } from './support.js';

const DURATION_MS = 200;
const SIZE = 20;

const ALL_TYPES: string[] = [...KNOWN_EVENT_NAMES];
const CHANNEL_TYPES = ALL_TYPES.filter((t) => !t.startsWith('connection_'));

/** Channel names chosen so that every filter key has hits and misses. */
const CHANNELS = [
  'lobby',
  'lobby-vip-2',
  'chat:general',
  'support:ticket-17',
  'game-42',
  'game-final-vip',
  'orders-1001',
  'news:sports-orders-7',
  'private-game-7',
  'private-chat:dm-9',
  'private-chatroom',
  'private-billing-vip',
  'private-encrypted-vault',
  'private-encrypted-chat:secret',
  'presence-chat:room-3',
  'presence-team:alpha-vip',
  'presence-lobby',
];

interface Filter {
  channel_type?: 'public' | 'private' | 'presence' | 'private-encrypted';
  channel_prefix?: string;
  channel_suffix?: string;
  channel_pattern?: string;
  channel_namespace?: string;
  channel_namespaces?: string[];
}

interface Hook {
  id: string;
  event_types: string[];
  filter?: Filter;
}

const APPS: { id: string; hooks: Hook[] }[] = [
  {
    id: 'app-1',
    hooks: [
      { id: 'a1-public', event_types: ['channel_occupied', 'channel_vacated', 'subscription_count', 'cache_miss'], filter: { channel_type: 'public' } },
      { id: 'a1-private', event_types: CHANNEL_TYPES, filter: { channel_type: 'private' } },
      { id: 'a1-presence', event_types: ['member_added', 'member_removed', 'channel_occupied'], filter: { channel_type: 'presence' } },
    ],
  },
  {
    id: 'app-2',
    hooks: [
      { id: 'a2-encrypted', event_types: ['channel_occupied', 'client_event', 'cache_miss'], filter: { channel_type: 'private-encrypted' } },
      { id: 'a2-prefix', event_types: ['client_event', 'channel_occupied', 'channel_vacated'], filter: { channel_prefix: 'game-' } },
      { id: 'a2-suffix', event_types: ALL_TYPES, filter: { channel_suffix: '-vip' } },
    ],
  },
  {
    id: 'app-3',
    hooks: [
      // Unanchored: matches 'orders-1001' and 'news:sports-orders-7'.
      { id: 'a3-pattern', event_types: ['channel_occupied', 'client_event', 'subscription_count'], filter: { channel_pattern: 'orders-[0-9]+' } },
      { id: 'a3-namespace', event_types: ['client_event', 'member_added', 'member_removed', 'channel_occupied'], filter: { channel_namespace: 'chat' } },
      { id: 'a3-conn', event_types: ['connection_established', 'connection_terminated'] },
    ],
  },
  {
    id: 'app-4',
    hooks: [
      { id: 'a4-namespaces', event_types: ['channel_occupied', 'channel_vacated', 'client_event'], filter: { channel_namespaces: ['chat', 'support'] } },
      {
        id: 'a4-combined',
        event_types: ['member_added', 'member_removed', 'client_event'],
        filter: { channel_type: 'presence', channel_namespace: 'team', channel_suffix: '-vip' },
      },
      // A channel condition never selects connection events (they have no channel).
      { id: 'a4-conn-filtered', event_types: ['connection_established', 'channel_occupied'], filter: { channel_prefix: 'private-' } },
    ],
  },
  {
    id: 'app-5',
    hooks: [
      { id: 'a5-all', event_types: ALL_TYPES },
      { id: 'a5-prefix-pattern', event_types: ['client_event', 'channel_occupied'], filter: { channel_prefix: 'private-', channel_pattern: '^private-(game|billing)' } },
    ],
  },
];

// ---- the filter rules, written out from the compatibility notes --------------------------

function typeOf(channel: string): string {
  if (channel.startsWith('private-encrypted-')) return 'private-encrypted';
  if (channel.startsWith('private-')) return 'private';
  if (channel.startsWith('presence-')) return 'presence';
  return 'public';
}

function namespaceOf(channel: string): string | null {
  const rest = channel.replace(/^(private-encrypted-|private-|presence-)/, '');
  const colon = rest.indexOf(':');
  return colon > 0 ? rest.slice(0, colon) : null;
}

function selects(hook: Hook, e: Stamped): boolean {
  if (!hook.event_types.includes(e.name)) return false;
  const f = hook.filter ?? {};
  if (Object.keys(f).length === 0) return true;
  const ch = e.channel;
  if (ch === null || ch === undefined) return false;
  if (f.channel_type !== undefined && typeOf(ch) !== f.channel_type) return false;
  if (f.channel_prefix !== undefined && !ch.startsWith(f.channel_prefix)) return false;
  if (f.channel_suffix !== undefined && !ch.endsWith(f.channel_suffix)) return false;
  if (f.channel_pattern !== undefined && !new RegExp(f.channel_pattern).test(ch)) return false;
  if (f.channel_namespace !== undefined && namespaceOf(ch) !== f.channel_namespace) return false;
  if (f.channel_namespaces !== undefined && !f.channel_namespaces.includes(namespaceOf(ch) ?? '\u0000')) return false;
  return true;
}

/** Every event kind that can occur on `channel`, with plausible fields. */
function eventsFor(appId: string, channel: string, n: number): PublishEvent[] {
  const presence = channel.startsWith('presence-');
  const out: PublishEvent[] = [
    { app_id: appId, name: 'channel_occupied', channel },
    { app_id: appId, name: 'channel_vacated', channel },
    { app_id: appId, name: 'cache_miss', channel },
    {
      app_id: appId,
      name: 'client_event',
      channel,
      event: 'client-typing',
      data: JSON.stringify({ n, text: 'héllo "quoted"' }),
      socket_id: `${n}.${n + 1}`,
      ...(presence ? { user_id: `user-${n}` } : {}),
    },
  ];
  if (presence) {
    out.push({ app_id: appId, name: 'member_added', channel, user_id: `user-${n}`, socket_id: `${n}.7`, data: JSON.stringify({ name: `User ${n}` }) });
    out.push({ app_id: appId, name: 'member_removed', channel, user_id: `user-${n}`, socket_id: `${n}.7` });
  } else {
    out.push({ app_id: appId, name: 'subscription_count', channel, subscription_count: n % 7 });
  }
  return out;
}

test('three socket nodes, five apps: each webhook gets exactly the events it selects, signed, in batches of size/duration', async (t) => {
  const receivers = new Map<string, Receiver>();
  const rawApps: RawApp[] = [];
  for (const app of APPS) {
    const key = `key-${app.id}`;
    const secret = `secret-${app.id}-${Math.random().toString(36).slice(2)}`;
    const webhooks: Record<string, unknown>[] = [];
    for (const hook of app.hooks) {
      // Each receiver knows only its own app's credentials: a request signed for another
      // app, or sent with another app's key, is invalid there.
      const receiver = await startReceiver({ apps: { key, secret } });
      t.after(() => receiver.close());
      receivers.set(hook.id, receiver);
      webhooks.push({ id: hook.id, url: receiver.url(`/hooks/${hook.id}`), event_types: hook.event_types, ...(hook.filter ? { filter: hook.filter } : {}) });
    }
    rawApps.push({ id: app.id, key, secret, webhooks });
  }
  const raw = testConfig({ apps: rawApps, batching: { enabled: true, duration: DURATION_MS, size: SIZE } });
  const config = await createServiceTopics(t, raw);
  const service = await startService(t, raw);

  const nodes = ['socket-node-a', 'socket-node-b', 'socket-node-c'].map((nodeId) => {
    const producer = createProducer({ brokers: brokers(), topic: config.kafka.topic, nodeId });
    t.after(() => producer.close());
    return producer;
  });

  // Two rounds of every event kind on every channel for every app, plus connection events.
  const inputs: PublishEvent[] = [];
  for (let round = 0; round < 2; round++) {
    for (const app of APPS) {
      CHANNELS.forEach((channel, c) => inputs.push(...eventsFor(app.id, channel, round * 100 + c)));
      for (let s = 0; s < 3; s++) {
        inputs.push({ app_id: app.id, name: 'connection_established', socket_id: `${round}${s}.42` });
        inputs.push({ app_id: app.id, name: 'connection_terminated', socket_id: `${round}${s}.42` });
      }
    }
  }
  // Each event gets its own distinct time_ms, well before the request's: a receiver must
  // see the event's time, not the batch's.
  const base = Date.now() - 60_000;
  inputs.forEach((e, i) => (e.time_ms = base + i * 3));
  const published = stamp(inputs);
  const shares: Stamped[][] = [[], [], []];
  published.forEach((e, i) => shares[i % 3]!.push(e));
  const sentAt = Date.now();
  await Promise.all(nodes.map((p, i) => p.publishMany(shares[i]!)));

  const byId = new Map(published.map((e) => [e.id, e]));
  const expected = new Map<string, string[]>();
  for (const app of APPS) {
    for (const hook of app.hooks) {
      expected.set(hook.id, published.filter((e) => e.app_id === app.id && selects(hook, e)).map((e) => e.id));
    }
  }
  // The expectations themselves must exercise the filters: every webhook selects something,
  // and each one with a filter or a narrowed event_types leaves some of its app's events
  // out; only a webhook with neither (a5-all) selects everything of its app.
  for (const app of APPS) {
    const ofApp = published.filter((e) => e.app_id === app.id).length;
    for (const hook of app.hooks) {
      const ids = expected.get(hook.id)!;
      assert.ok(ids.length > 0, `${hook.id} selects no event: the test data does not cover it`);
      if (hook.filter === undefined && ALL_TYPES.every((type) => hook.event_types.includes(type))) {
        assert.equal(ids.length, ofApp, `${hook.id} has no filter and every event type: it selects all of ${app.id}'s events`);
      } else {
        assert.ok(ids.length < ofApp, `${hook.id} selects all ${ofApp} events of ${app.id}: the test data does not exercise its filter`);
      }
    }
  }

  for (const [id, receiver] of receivers) {
    const want = expected.get(id)!.length;
    await receiver.waitFor((r) => r.events().length >= want, 30_000).catch((err: unknown) => {
      throw new Error(`${id}: expected ${want} events: ${String(err)}`);
    });
  }
  await waitUntil(() => service.inFlightEvents === 0, 10_000, 'nothing in flight');
  // Quiet for longer than a window: anything extra would have arrived by now.
  await sleep(DURATION_MS * 3);

  let requests = 0;
  let largest = 0;
  for (const app of APPS) {
    for (const hook of app.hooks) {
      const receiver = receivers.get(hook.id)!;
      const want = expected.get(hook.id)!;
      const got = receiver.events();
      assert.equal(receiver.invalidCount, 0, `${hook.id}: every request is valid for the official SDK with ${app.id}'s key and secret`);
      const gotIds = got.map((e) => String(e.id));
      const wantSet = new Set(want);
      const describe = (ids: string[]): string => ids.slice(0, 5).map((id) => `${byId.get(id)?.name}@${byId.get(id)?.channel ?? '-'}`).join(', ');
      const extra = gotIds.filter((id) => !wantSet.has(id));
      const missing = want.filter((id) => !gotIds.includes(id));
      assert.deepEqual({ extra: describe(extra), missing: describe(missing) }, { extra: '', missing: '' }, `${hook.id}: exactly the selected events`);
      assert.equal(gotIds.length, want.length, `${hook.id}: each event once`);
      for (const e of got) {
        // The full object: id, the event's own time_ms, its kind's fields; no null, no app_id/node_id.
        assert.deepEqual(e, wireEvent(byId.get(String(e.id))!), `${hook.id}: event ${String(e.id)} as published`);
      }
      for (const r of receiver.requests) {
        requests++;
        assert.equal(r.method, 'POST');
        assert.equal(r.path, `/hooks/${hook.id}`);
        assert.equal(r.headers['content-type'], 'application/json');
        assert.equal(r.headers['x-pusher-key'], `key-${app.id}`);
        assert.deepEqual(Object.keys(r.body ?? {}).sort(), ['events', 'time_ms']);
        const n = r.body!.events!.length;
        largest = Math.max(largest, n);
        assert.ok(n >= 1 && n <= SIZE, `${hook.id}: request ${r.n} has ${n} events (size ${SIZE})`);
        // The request's own time_ms is the send time, not an event's.
        const bodyTime = r.body!.time_ms!;
        assert.ok(bodyTime >= sentAt && bodyTime <= r.receivedAt + 5, `${hook.id}: body time_ms ${bodyTime} is the send time`);
      }
    }
  }
  // All of app-5's events for a5-all, published in one burst: full windows are sealed at `size`.
  const a5Sizes = receivers.get('a5-all')!.requests.map((r) => r.body!.events!.length);
  assert.equal(Math.max(...a5Sizes), SIZE, 'a burst fills batches up to size');
  t.diagnostic(`${published.length} events published by 3 nodes; ${requests} requests; largest batch ${largest}`);
  t.diagnostic(
    'per webhook: ' + [...expected].map(([id, ids]) => `${id}=${ids.length}/${receivers.get(id)!.requests.length}req`).join(' '),
  );

  // Duration: an event alone goes out `duration` after it arrived, not earlier, and alone.
  const conn = receivers.get('a3-conn')!;
  const delays: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = conn.requests.length;
    const t0 = Date.now();
    const [lone] = stamp([{ app_id: 'app-3', name: 'connection_established', socket_id: `9${i}.1` }]);
    await nodes[i]!.publish(lone!);
    await conn.waitFor((r) => r.requests.length > before, 10_000);
    const req = conn.requests[before]!;
    assert.deepEqual(
      req.body!.events!.map((e) => e.id),
      [lone!.id],
    );
    delays.push(req.receivedAt - t0);
    await sleep(DURATION_MS);
  }
  t.diagnostic(`lone event publish-to-receipt: ${delays.join(', ')} ms (duration ${DURATION_MS}); median ${percentile(delays, 50)}`);
  for (const d of delays) {
    assert.ok(d >= DURATION_MS - 2, `a lone event waits for the window (${d} ms < ${DURATION_MS} ms)`);
    assert.ok(d <= DURATION_MS + 1500, `a lone event goes out when its window is due (${d} ms)`);
  }
  assert.ok(percentile(delays, 50) <= DURATION_MS + 600, `median lone-event delay ${percentile(delays, 50)} ms`);
});
