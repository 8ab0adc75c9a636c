import type { ChannelType, WebhookFilter } from '../../config/types.js';

/**
 * The channel's type from its name's prefix, as Pusher defines them. `private-encrypted-`
 * is tested before `private-` because it is the longer prefix.
 */
export function channelType(channel: string): ChannelType {
  if (channel.startsWith('private-encrypted-')) return 'private-encrypted';
  if (channel.startsWith('private-')) return 'private';
  if (channel.startsWith('presence-')) return 'presence';
  return 'public';
}

const TYPE_PREFIXES = ['private-encrypted-', 'private-', 'presence-'];

/**
 * A channel's namespace: the part of its name, after the type prefix, before the first
 * `:` (`presence-chat:room-1` is in namespace `chat`). A name without `:` has none.
 */
export function channelNamespace(channel: string): string | null {
  let rest = channel;
  for (const prefix of TYPE_PREFIXES) {
    if (rest.startsWith(prefix)) {
      rest = rest.slice(prefix.length);
      break;
    }
  }
  const colon = rest.indexOf(':');
  return colon > 0 ? rest.slice(0, colon) : null;
}

/**
 * True when every key present in the filter matches the event's channel. An event without
 * a channel (connection_established, ...) passes an empty filter and fails any channel key:
 * a webhook that asks for a channel condition asked for channel events.
 */
export function matchesFilter(filter: WebhookFilter, channel: string | null): boolean {
  if (filter.channel_type === undefined && filter.channel_prefix === undefined && filter.channel_suffix === undefined &&
      filter.channel_pattern === undefined && filter.channel_namespace === undefined && filter.channel_namespaces === undefined) {
    return true;
  }
  if (channel === null) return false;
  if (filter.channel_type !== undefined && channelType(channel) !== filter.channel_type) return false;
  if (filter.channel_prefix !== undefined && !channel.startsWith(filter.channel_prefix)) return false;
  if (filter.channel_suffix !== undefined && !channel.endsWith(filter.channel_suffix)) return false;
  if (filter.channel_pattern !== undefined && !filter.channel_pattern.test(channel)) return false;
  if (filter.channel_namespace !== undefined || filter.channel_namespaces !== undefined) {
    const ns = channelNamespace(channel);
    if (ns === null) return false;
    if (filter.channel_namespace !== undefined && ns !== filter.channel_namespace) return false;
    if (filter.channel_namespaces !== undefined && !filter.channel_namespaces.includes(ns)) return false;
  }
  return true;
}
