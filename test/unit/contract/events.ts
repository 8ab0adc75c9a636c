import type { KnownEventName, WebhookEvent } from '../../../src/contract/index.js';

const NONE = { channel: null, event: null, data: null, socket_id: null, user_id: null, subscription_count: null, node_id: null };

/** One realistic event per kind, shaped as Pusher/Sockudo webhooks describe them. */
export function sampleEvents(): Record<KnownEventName | 'unknown', WebhookEvent> {
  const base = { app_id: '1864312', time_ms: 1732812345678 };
  return {
    channel_occupied: { ...NONE, ...base, id: '0d4f4f7c-5c1e-4b8a-9a57-3c9c1d2e0a01', name: 'channel_occupied', channel: 'private-orders-42', node_id: 'ws-1' },
    channel_vacated: { ...NONE, ...base, id: '0d4f4f7c-5c1e-4b8a-9a57-3c9c1d2e0a02', name: 'channel_vacated', channel: 'private-orders-42', node_id: 'ws-1' },
    member_added: { ...NONE, ...base, id: '0d4f4f7c-5c1e-4b8a-9a57-3c9c1d2e0a03', name: 'member_added', channel: 'presence-lobby', user_id: 'user-1729', node_id: 'ws-2' },
    member_removed: { ...NONE, ...base, id: '0d4f4f7c-5c1e-4b8a-9a57-3c9c1d2e0a04', name: 'member_removed', channel: 'presence-lobby', user_id: 'user-1729' },
    client_event: {
      ...NONE,
      ...base,
      id: '0d4f4f7c-5c1e-4b8a-9a57-3c9c1d2e0a05',
      name: 'client_event',
      channel: 'presence-lobby',
      event: 'client-typing',
      data: '{"text":"héllo 👋","len":7}',
      socket_id: '131207.4413617',
      user_id: 'user-1729',
      node_id: 'ws-2',
    },
    subscription_count: { ...NONE, ...base, id: '0d4f4f7c-5c1e-4b8a-9a57-3c9c1d2e0a06', name: 'subscription_count', channel: 'ticker', subscription_count: 2147483647 },
    cache_miss: { ...NONE, ...base, id: '0d4f4f7c-5c1e-4b8a-9a57-3c9c1d2e0a07', name: 'cache_miss', channel: 'cache-prices' },
    connection_established: { ...NONE, ...base, id: '0d4f4f7c-5c1e-4b8a-9a57-3c9c1d2e0a08', name: 'connection_established', socket_id: '131207.4413618', node_id: 'ws-3' },
    connection_terminated: { ...NONE, ...base, id: '0d4f4f7c-5c1e-4b8a-9a57-3c9c1d2e0a09', name: 'connection_terminated', socket_id: '131207.4413618', node_id: 'ws-3' },
    unknown: { ...NONE, ...base, id: '0d4f4f7c-5c1e-4b8a-9a57-3c9c1d2e0a10', name: 'batch_published', channel: 'feed', data: '', subscription_count: 0, time_ms: 0 },
  };
}

/** The event as a v1 producer, whose schema has no node_id, would hold it. */
export function withoutNodeId(event: WebhookEvent): Omit<WebhookEvent, 'node_id'> {
  const copy: Partial<WebhookEvent> = { ...event };
  delete copy.node_id;
  return copy as Omit<WebhookEvent, 'node_id'>;
}
