import type { WebhookEvent } from '../../contract/types.js';

/**
 * The wire format receivers expect (docs: shared/reference/compatibility.md). Events are
 * serialized once, when they enter a batch, and a request body is then assembled by string
 * concatenation on every attempt: only the top-level `time_ms` changes between attempts,
 * so re-serializing (or re-parsing) the events would be wasted work on the hot path.
 */

/**
 * The JSON text of one event object, fields in the order of the compatibility notes'
 * event table: `name, channel, event, data, socket_id, user_id, subscription_count,
 * time_ms, id`, except that `member_added` and `member_removed` put `user_id, socket_id`
 * before `data`, as Pusher does. A `null` field is omitted, never sent as `null` (some
 * receivers test for presence, not for null). `app_id` and `node_id` are internal and
 * never sent; `id` is extra, and every SDK ignores unknown fields, so receivers can
 * de-duplicate on it.
 */
export function eventJson(event: WebhookEvent): string {
  let out = '{"name":' + jsonString(event.name);
  if (event.channel !== null && event.channel !== undefined) out += ',"channel":' + jsonString(event.channel);
  if (event.event !== null && event.event !== undefined) out += ',"event":' + jsonString(event.event);
  const member = event.name === 'member_added' || event.name === 'member_removed';
  if (member) out += userAndSocket(event);
  // `data` is itself JSON text, full of quotes: JSON.stringify is the fast way to escape it.
  if (event.data !== null && event.data !== undefined) out += ',"data":' + JSON.stringify(event.data);
  if (!member) {
    if (event.socket_id !== null && event.socket_id !== undefined) out += ',"socket_id":' + jsonString(event.socket_id);
    if (event.user_id !== null && event.user_id !== undefined) out += ',"user_id":' + jsonString(event.user_id);
  }
  if (event.subscription_count !== null && event.subscription_count !== undefined) {
    out += ',"subscription_count":' + jsonNumber(event.subscription_count);
  }
  out += ',"time_ms":' + jsonNumber(event.time_ms);
  if (event.id !== null && event.id !== undefined) out += ',"id":' + jsonString(event.id);
  return out + '}';
}

/** `,"user_id":..,"socket_id":..` of a member event, each only when present. */
function userAndSocket(event: WebhookEvent): string {
  let out = '';
  if (event.user_id !== null && event.user_id !== undefined) out += ',"user_id":' + jsonString(event.user_id);
  if (event.socket_id !== null && event.socket_id !== undefined) out += ',"socket_id":' + jsonString(event.socket_id);
  return out;
}

/** Printable ASCII other than `"` and `\`: characters JSON writes as they are. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * `JSON.stringify(s)` for a string. Names, channels, socket ids and event ids are nearly
 * always plain ASCII, which needs no escaping: quoting those directly takes this per-event
 * step from ~1.5 to ~1.2 µs (the whole event). Anything else goes through JSON.stringify.
 */
function jsonString(s: string): string {
  return PLAIN.test(s) ? '"' + s + '"' : JSON.stringify(s);
}

/** `JSON.stringify(n)` for the finite numbers Avro longs and ints decode to. */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

const BODY_HEAD = '{"time_ms":';
const BODY_MID = ',"events":[';
const BODY_TAIL = ']}';

/**
 * The request body `{"time_ms":N,"events":[...]}` for already serialized events.
 * `timeMs` is the send time of this attempt (the Python SDK rejects bodies whose
 * `time_ms` is more than 5 minutes from now, so retries need a fresh one).
 */
export function buildBody(eventsJson: readonly string[], timeMs: number): string {
  return BODY_HEAD + String(Math.trunc(timeMs)) + BODY_MID + eventsJson.join(',') + BODY_TAIL;
}

/** Digits in a `time_ms` between 2001-09-09 and 2286-11-20, which is every real send time. */
const TIME_MS_DIGITS = 13;

/** Bytes of a body with no events, assuming a 13-digit `time_ms`. */
export const BODY_OVERHEAD_BYTES = BODY_HEAD.length + TIME_MS_DIGITS + BODY_MID.length + BODY_TAIL.length;

/** UTF-8 byte length of one serialized event, for a batcher that keeps a running total. */
export function eventBytes(eventJsonText: string): number {
  return Buffer.byteLength(eventJsonText, 'utf8');
}

/**
 * Exact UTF-8 byte length of `buildBody(eventsJson, t)` for any 13-digit `t`; the batcher
 * compares it with `delivery.max_body_bytes`. A running total is
 * `BODY_OVERHEAD_BYTES + sum(eventBytes(e)) + (n - 1)` for n ≥ 1 (the commas).
 */
export function bodyBytes(eventsJson: readonly string[]): number {
  let total = BODY_OVERHEAD_BYTES;
  for (const e of eventsJson) total += Buffer.byteLength(e, 'utf8');
  return total + Math.max(0, eventsJson.length - 1);
}
