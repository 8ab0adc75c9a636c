import type { KnownEventName, WebhookEvent } from './types.js';

/**
 * The event field table of the compatibility notes: which fields each kind of webhook event
 * carries, and the rules that depend on the channel type. Two sides use it:
 *
 * - the producer library refuses an event that breaks it (`validateEvent`), naming the
 *   field, before it is ever encoded;
 * - the service checks every record it reads (`eventRuleViolation`), because the Avro
 *   schema lets any field be set on any event and socket servers in other languages write
 *   the topic without our library: a record that breaks the table is dead-lettered as
 *   `invalid_event` instead of sending receivers a body the systems we replace never send.
 */

export type OptionalField = 'channel' | 'event' | 'data' | 'socket_id' | 'user_id' | 'subscription_count';

/** For each optional field of a kind: 0 not allowed, 1 optional, 2 required. */
export type Rule = Readonly<Record<OptionalField, 0 | 1 | 2>> & { readonly required: readonly OptionalField[] };

const OPTIONAL_FIELDS: readonly OptionalField[] = ['channel', 'event', 'data', 'socket_id', 'user_id', 'subscription_count'];

function rule(required: readonly OptionalField[], optional: readonly OptionalField[]): Rule {
  const level = (f: OptionalField): 0 | 1 | 2 => (required.includes(f) ? 2 : optional.includes(f) ? 1 : 0);
  return {
    required,
    channel: level('channel'),
    event: level('event'),
    data: level('data'),
    socket_id: level('socket_id'),
    user_id: level('user_id'),
    subscription_count: level('subscription_count'),
  };
}

const RULES: ReadonlyMap<string, Rule> = new Map<KnownEventName, Rule>([
  ['channel_occupied', rule(['channel'], [])],
  ['channel_vacated', rule(['channel'], [])],
  ['cache_miss', rule(['channel'], [])],
  ['member_added', rule(['channel', 'user_id'], ['socket_id', 'data'])],
  ['member_removed', rule(['channel', 'user_id'], ['socket_id'])],
  ['client_event', rule(['channel', 'event'], ['data', 'socket_id', 'user_id'])],
  ['subscription_count', rule(['channel', 'subscription_count'], [])],
  ['connection_established', rule(['socket_id'], [])],
  ['connection_terminated', rule(['socket_id'], [])],
]);

/** Names that pass through untouched (another socket server's custom events). */
const OPEN_RULE = rule([], OPTIONAL_FIELDS);

export const MAX_INT32 = 2 ** 31 - 1;

/** The fields an event kind carries (every field for a name outside the table). */
export function ruleFor(name: string): Rule {
  return RULES.get(name) ?? OPEN_RULE;
}

/** Bit of each optional field in a presence mask (`presentMask`). */
const BIT: Readonly<Record<OptionalField, number>> = { channel: 1, event: 2, data: 4, socket_id: 8, user_id: 16, subscription_count: 32 };

/** Which optional fields an event has, as bits: one branch per field, no keyed access. */
function presentMask(e: WebhookEvent): number {
  return (
    (e.channel !== null ? 1 : 0) |
    (e.event !== null ? 2 : 0) |
    (e.data !== null ? 4 : 0) |
    (e.socket_id !== null ? 8 : 0) |
    (e.user_id !== null ? 16 : 0) |
    (e.subscription_count !== null ? 32 : 0)
  );
}

function masks(r: Rule): { allowed: number; required: number } {
  let allowed = 0;
  let required = 0;
  for (const f of OPTIONAL_FIELDS) {
    if (r[f] > 0) allowed |= BIT[f];
    if (r[f] === 2) required |= BIT[f];
  }
  return { allowed, required };
}

const MASKS: ReadonlyMap<string, { allowed: number; required: number }> = new Map([...RULES].map(([name, r]) => [name, masks(r)]));
const OPEN_MASKS = masks(OPEN_RULE);

/**
 * True when `e` keeps every rule of the table. The service asks this of every record it
 * reads, so it is the cheap path: a map lookup, six null checks folded into a bit mask,
 * and the few string and channel checks. `eventRuleViolation` says which rule is broken.
 */
export function keepsEventRules(e: WebhookEvent): boolean {
  const m = MASKS.get(e.name) ?? OPEN_MASKS;
  const present = presentMask(e);
  if ((present & ~m.allowed) !== 0 || (present & m.required) !== m.required) return false;
  if (e.name.length === 0 || e.id.length === 0 || e.app_id.length === 0) return false;
  // Receivers and the latency metric read time_ms as a time; a negative one is not.
  if (!(e.time_ms >= 0)) return false;
  if (e.channel === '' || e.event === '' || e.socket_id === '' || e.user_id === '') return false;
  const count = e.subscription_count;
  if (count !== null && (!Number.isInteger(count) || count < 0 || count > MAX_INT32)) return false;
  return kindViolation(e) === undefined;
}

/** A broken rule: the field it is about and a message that names it. */
export interface RuleViolation {
  field: string;
  message: string;
}

/** The first rule of the table that `e` breaks (the field and a message), or undefined. */
export function eventRuleViolation(e: WebhookEvent): RuleViolation | undefined {
  if (keepsEventRules(e)) return undefined;
  if (e.name.length === 0) return { field: 'name', message: '"name" must be a non-empty string' };
  if (e.id.length === 0) return { field: 'id', message: '"id" must be a non-empty string' };
  if (e.app_id.length === 0) return { field: 'app_id', message: '"app_id" must be a non-empty string' };
  if (!(e.time_ms >= 0)) return { field: 'time_ms', message: '"time_ms" must be a non-negative integer of milliseconds since the epoch' };
  const r = ruleFor(e.name);
  for (const field of r.required) {
    if (e[field] === null) return { field, message: `${e.name} needs "${field}" (${describeField(field)})` };
  }
  for (const field of OPTIONAL_FIELDS) {
    const value = e[field];
    if (value === null) continue;
    if (r[field] === 0) return { field, message: `"${field}" is not a field of ${e.name} events` };
    if (typeof value === 'string') {
      // `data` may legitimately be empty (a client event without payload); ids and names not.
      if (value.length === 0 && field !== 'data') return { field, message: `"${field}" must be a non-empty string` };
    } else if (!Number.isInteger(value) || value < 0 || value > MAX_INT32) {
      return { field, message: `"${field}" must be ${describeField(field)}` };
    }
  }
  return kindViolation(e);
}

/** Rules that involve the channel type, per the compatibility notes. */
function kindViolation(e: WebhookEvent): RuleViolation | undefined {
  const presence = e.channel !== null && e.channel.startsWith('presence-');
  switch (e.name) {
    case 'member_added':
    case 'member_removed':
      if (!presence) return { field: 'channel', message: `${e.name} is sent for presence channels only ("presence-..."), got "${e.channel}"` };
      if (e.name === 'member_added' && e.data !== null && !isJson(e.data)) {
        return { field: 'data', message: 'member_added "data" must be the member\'s channel data as a JSON string' };
      }
      return undefined;
    case 'client_event':
      if (e.user_id !== null && !presence) return { field: 'user_id', message: 'client_event carries "user_id" on presence channels only' };
      return undefined;
    case 'subscription_count':
      if (presence) return { field: 'channel', message: 'subscription_count is never sent for presence channels' };
      return undefined;
    default:
      return undefined;
  }
}

export function describeField(field: OptionalField): string {
  return field === 'subscription_count' ? 'an integer from 0 to 2147483647' : 'a non-empty string';
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
