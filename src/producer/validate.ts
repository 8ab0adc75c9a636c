import { EventValidationError } from '../errors.js';
import type { KnownEventName, WebhookEvent } from '../contract/types.js';

/**
 * What a socket server hands to `publish`: `app_id`, `name` and the fields of that event
 * kind. `id`, `time_ms` and `node_id` are filled in when absent. A `null` optional field
 * counts as absent, so a decoded `WebhookEvent` can be published again as it is.
 */
export interface PublishEvent {
  app_id: string;
  name: string;
  /** @defaultValue `crypto.randomUUID()` */
  id?: string;
  /** @defaultValue `Date.now()` when `publish` is called */
  time_ms?: number;
  /** @defaultValue the producer's `nodeId` */
  node_id?: string | null;
  channel?: string | null;
  event?: string | null;
  data?: string | null;
  socket_id?: string | null;
  user_id?: string | null;
  subscription_count?: number | null;
}

/** Values for the fields an event may leave out; thunks, so nothing is generated needlessly. */
export interface EventDefaults {
  id: () => string;
  timeMs: () => number;
  nodeId: string | null;
}

type OptionalField = 'channel' | 'event' | 'data' | 'socket_id' | 'user_id' | 'subscription_count';
type StringField = Exclude<OptionalField, 'subscription_count'>;

/** For each optional field of a kind: 0 not allowed, 1 optional, 2 required. */
type Rule = Readonly<Record<OptionalField, 0 | 1 | 2>> & { readonly required: readonly OptionalField[] };

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

/**
 * The event field table of the compatibility notes: what each webhook event kind carries.
 * A field outside its kind's row is refused rather than passed on, because receivers would
 * get it in the webhook body and the systems we replace never send it.
 */
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
const OPEN_RULE = rule([], ['channel', 'event', 'data', 'socket_id', 'user_id', 'subscription_count']);

const ALLOWED_KEYS = new Set<string>(['id', 'app_id', 'name', 'time_ms', 'node_id', 'channel', 'event', 'data', 'socket_id', 'user_id', 'subscription_count']);
// Avro `int` for subscription_count.
const MAX_INT32 = 2 ** 31 - 1;

/**
 * Checks an event against the contract and returns the complete record to encode. Throws
 * `EventValidationError` naming the first offending field. Pure: `defaults` supplies the
 * only outside values (id, time, node).
 */
export function validateEvent(input: unknown, defaults: EventDefaults): WebhookEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new EventValidationError('event', 'an event must be a JSON object');
  }
  const e = input as Record<string, unknown>;
  for (const key of Object.keys(e)) {
    if (!ALLOWED_KEYS.has(key)) throw new EventValidationError(key, `unknown field "${key}"`);
  }

  const appId = requiredString(e, 'app_id');
  const name = requiredString(e, 'name');
  const r = RULES.get(name) ?? OPEN_RULE;
  // Missing fields first: "needs socket_id" says more than "channel is not a field of it".
  for (const field of r.required) {
    if (e[field] === undefined || e[field] === null) throw new EventValidationError(field, `${name} needs "${field}" (${describe(field)})`);
  }

  const out: WebhookEvent = {
    id: e.id === undefined || e.id === null ? defaults.id() : requiredString(e, 'id'),
    app_id: appId,
    name,
    channel: optionalString(e, 'channel', r, name),
    event: optionalString(e, 'event', r, name),
    data: optionalString(e, 'data', r, name),
    socket_id: optionalString(e, 'socket_id', r, name),
    user_id: optionalString(e, 'user_id', r, name),
    subscription_count: subscriptionCount(e, r, name),
    time_ms: e.time_ms === undefined || e.time_ms === null ? defaults.timeMs() : timeMs(e.time_ms),
    node_id: e.node_id === undefined || e.node_id === null ? defaults.nodeId : requiredString(e, 'node_id'),
  };
  checkKindRules(out);
  return out;
}

function optionalString(e: Record<string, unknown>, field: StringField, r: Rule, name: string): string | null {
  const value = e[field];
  if (value === undefined || value === null) return null;
  if (r[field] === 0) throw new EventValidationError(field, `"${field}" is not a field of ${name} events`);
  if (typeof value !== 'string') throw new EventValidationError(field, `"${field}" must be a string`);
  // `data` may legitimately be empty (a client event without payload); ids and names not.
  if (value.length === 0 && field !== 'data') throw new EventValidationError(field, `"${field}" must be a non-empty string`);
  return value;
}

function subscriptionCount(e: Record<string, unknown>, r: Rule, name: string): number | null {
  const value = e.subscription_count;
  if (value === undefined || value === null) return null;
  if (r.subscription_count === 0) throw new EventValidationError('subscription_count', `"subscription_count" is not a field of ${name} events`);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_INT32) {
    throw new EventValidationError('subscription_count', `"subscription_count" must be ${describe('subscription_count')}`);
  }
  return value;
}

/** Rules that involve the channel type, per the compatibility notes. */
function checkKindRules(e: WebhookEvent): void {
  const presence = e.channel !== null && e.channel.startsWith('presence-');
  switch (e.name) {
    case 'member_added':
    case 'member_removed':
      if (!presence) throw new EventValidationError('channel', `${e.name} is sent for presence channels only ("presence-..."), got "${e.channel}"`);
      if (e.name === 'member_added' && e.data !== null && !isJson(e.data)) {
        throw new EventValidationError('data', 'member_added "data" must be the member\'s channel data as a JSON string');
      }
      break;
    case 'client_event':
      if (e.user_id !== null && !presence) {
        throw new EventValidationError('user_id', 'client_event carries "user_id" on presence channels only');
      }
      break;
    case 'subscription_count':
      if (presence) throw new EventValidationError('channel', 'subscription_count is never sent for presence channels');
      break;
    default:
      break;
  }
}

function requiredString(e: Record<string, unknown>, field: string): string {
  const value = e[field];
  if (value === undefined || value === null) throw new EventValidationError(field, `"${field}" is required (a non-empty string)`);
  if (typeof value !== 'string' || value.length === 0) throw new EventValidationError(field, `"${field}" must be a non-empty string`);
  return value;
}

function timeMs(value: unknown): number {
  // Avro long as avsc encodes it: a safe integer. Negative times are not events we saw happen.
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new EventValidationError('time_ms', '"time_ms" must be a non-negative integer of milliseconds since the epoch');
  }
  return value;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function describe(field: OptionalField): string {
  return field === 'subscription_count' ? 'an integer from 0 to 2147483647' : 'a non-empty string';
}
