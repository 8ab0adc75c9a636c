import { EventValidationError } from '../errors.js';
import type { WebhookEvent } from '../contract/types.js';
import { MAX_INT32, describeField as describe, eventRuleViolation, ruleFor, type OptionalField, type Rule } from '../contract/event-rules.js';

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

type StringField = Exclude<OptionalField, 'subscription_count'>;

const ALLOWED_KEYS = new Set<string>(['id', 'app_id', 'name', 'time_ms', 'node_id', 'channel', 'event', 'data', 'socket_id', 'user_id', 'subscription_count']);

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
  const r = ruleFor(name);
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
  // The field checks above give the precise messages; this adds the channel-type rules.
  const broken = eventRuleViolation(out);
  if (broken) throw new EventValidationError(broken.field, broken.message);
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
