import avsc from 'avsc';
import type { Type } from 'avsc';
import { SINGLE_OBJECT_HEADER_LENGTH, createCodec, type SingleObjectCodec } from '../../contract/index.js';
import type { AvroField, WebhookEvent } from '../../contract/types.js';
import { DecodeError } from '../../errors.js';

/** A record of a retry tier or the dead-letter topic (`schemas/webhook-delivery.avsc`). */
export interface WebhookDeliveryRecord {
  delivery_id: string;
  app_id: string;
  webhook_id: string;
  attempt: number;
  tier: number;
  not_before_ms: number;
  events: WebhookEvent[];
  first_failure_ms: number;
  last_error: string;
  replay: boolean;
}

let codec: SingleObjectCodec<WebhookDeliveryRecord> | undefined;

export function deliveryCodec(): SingleObjectCodec<WebhookDeliveryRecord> {
  return (codec ??= createCodec<WebhookDeliveryRecord>('webhook-delivery'));
}

/** The fields before `events`: enough to tell whether a record is due and whom it is for. */
export type DeliveryHead = Pick<WebhookDeliveryRecord, 'delivery_id' | 'app_id' | 'webhook_id' | 'attempt' | 'tier' | 'not_before_ms'>;

const HEAD_FIELDS = ['delivery_id', 'app_id', 'webhook_id', 'attempt', 'tier', 'not_before_ms'] as const;

let headType: Type | undefined;
let currentHeader: Buffer | undefined;

/** An Avro type of the current schema's leading fields: its encoding is a prefix of the record's. */
function deliveryHeadType(): Type {
  if (headType) return headType;
  const schema = deliveryCodec().registry.reader.type.schema() as { fields: AvroField[] };
  const fields = schema.fields.slice(0, HEAD_FIELDS.length);
  if (fields.map((f) => f.name).join() !== HEAD_FIELDS.join()) {
    throw new Error(`webhook-delivery.avsc must start with the fields ${HEAD_FIELDS.join(', ')}`);
  }
  headType = avsc.Type.forSchema({ type: 'record', name: 'WebhookDeliveryHead', namespace: 'hookstream', fields } as avsc.Schema);
  return headType;
}

const TAIL_FIELDS = ['first_failure_ms', 'last_error', 'replay'] as const;

let tailType: Type | undefined;
let eventItemTypeCache: Type | undefined;
let longTypeCache: Type | undefined;

function eventType(): Type {
  eventItemTypeCache ??= (deliveryCodec().registry.reader.type as unknown as { fields: { name: string; type: { itemsType: Type } }[] }).fields.find(
    (f) => f.name === 'events',
  )!.type.itemsType;
  return eventItemTypeCache;
}

function avroLong(): Type {
  longTypeCache ??= avsc.Type.forSchema('long');
  return longTypeCache;
}

function deliveryTailType(): Type {
  if (tailType) return tailType;
  const schema = deliveryCodec().registry.reader.type.schema() as { fields: AvroField[] };
  const fields = schema.fields.slice(HEAD_FIELDS.length + 1);
  if (schema.fields[HEAD_FIELDS.length]?.name !== 'events' || fields.map((f) => f.name).join() !== TAIL_FIELDS.join()) {
    throw new Error(`webhook-delivery.avsc must have the fields ${[...HEAD_FIELDS, 'events', ...TAIL_FIELDS].join(', ')} in this order`);
  }
  tailType = avsc.Type.forSchema({ type: 'record', name: 'WebhookDeliveryTail', namespace: 'hookstream', fields } as avsc.Schema);
  return tailType;
}

/**
 * An event and, when it was read with the current event schema, the single-object record
 * it was read from (`SingleObjectCodec.isCurrent`).
 */
export interface EventForRecord {
  event: WebhookEvent;
  record?: Buffer | undefined;
}

/**
 * Encodes a delivery record (single object, current schema) whose events are given with
 * their records where known: those records' Avro bodies are copied as bytes, not encoded
 * again, which is most of the cost of handing a batch to a retry tier. The result is byte
 * for byte what `deliveryCodec().encode` writes for the same record.
 */
export function encodeDeliveryRecord(record: Omit<WebhookDeliveryRecord, 'events'>, events: readonly EventForRecord[]): Buffer {
  const head = deliveryHeadType();
  const tail = deliveryTailType();
  const eventItemType = eventType();
  const longType = avroLong();
  // Pieces of the output: whole buffers, or the body of an event record (from byte 10).
  const parts: Buffer[] = [(currentHeader ??= deliveryCodec().header), head.toBuffer(record)];
  const bodyOf: boolean[] = [false, false];
  // Avro arrays: blocks of (count, items), then a zero count; avsc writes one block.
  if (events.length > 0) {
    parts.push(longType.toBuffer(events.length));
    bodyOf.push(false);
    for (const e of events) {
      parts.push(e.record ?? eventItemType.toBuffer(e.event));
      bodyOf.push(e.record !== undefined);
    }
  }
  parts.push(longType.toBuffer(0), tail.toBuffer(record));
  bodyOf.push(false, false);
  let length = 0;
  for (let i = 0; i < parts.length; i++) length += parts[i]!.length - (bodyOf[i] ? SINGLE_OBJECT_HEADER_LENGTH : 0);
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (let i = 0; i < parts.length; i++) at += parts[i]!.copy(out, at, bodyOf[i] ? SINGLE_OBJECT_HEADER_LENGTH : 0);
  return out;
}

/** A record's head and where its body continues after `not_before_ms`. */
export interface PeekedDelivery {
  head: DeliveryHead;
  end: number;
}

/**
 * Reads only the head of a delivery record written with the current schema, without
 * decoding its events: a tier consumer uses it to hold a record that is not yet due, or to
 * move one whose endpoint is still failing, at the cost of a few short fields instead of
 * every event. Undefined for anything else (an older writer schema, a corrupt value): the
 * caller decodes in full, which reports errors properly.
 */
export function peekDelivery(value: Buffer): PeekedDelivery | undefined {
  const header = (currentHeader ??= deliveryCodec().header);
  if (value.length < SINGLE_OBJECT_HEADER_LENGTH || !value.subarray(0, SINGLE_OBJECT_HEADER_LENGTH).equals(header)) return undefined;
  try {
    const { value: head, offset } = deliveryHeadType().decode(value, SINGLE_OBJECT_HEADER_LENGTH) as { value: DeliveryHead; offset: number };
    if (offset < 0 || offset > value.length) return undefined;
    return { head, end: offset };
  } catch {
    return undefined;
  }
}

/** The same record with a new `not_before_ms`, its events copied as bytes (not re-encoded). */
export function withNotBefore(value: Buffer, peeked: PeekedDelivery, notBeforeMs: number): Buffer {
  const head = deliveryHeadType().toBuffer({ ...peeked.head, not_before_ms: notBeforeMs });
  return Buffer.concat([value.subarray(0, SINGLE_OBJECT_HEADER_LENGTH), head, value.subarray(peeked.end)]);
}

/** The fewest bytes an encoded WebhookEvent takes: three strings, six null unions, time_ms, node_id. */
const MIN_EVENT_BYTES = 11;

/**
 * Decodes a delivery record, like `deliveryCodec().decode`, but reads the events array
 * itself so that a block count is checked against the bytes left before any event is
 * read. avsc trusts the count: a damaged or crafted record claiming 10^8 events would
 * make it build 10^8 empty events from past the end of the buffer until the process ran
 * out of memory, and again on every restart, as the record is never committed. Throws
 * `DecodeError` (`HS_DECODE_CORRUPT`, ...) like the codec.
 */
export function decodeDeliveryRecord(value: Buffer): WebhookDeliveryRecord {
  const peeked = peekDelivery(value);
  // Not the current schema (there is no older one yet), or a head that does not decode:
  // the codec says what is wrong.
  if (!peeked) return deliveryCodec().decode(value);
  const corrupt = (why: string): DecodeError => new DecodeError('HS_DECODE_CORRUPT', `webhook-delivery: ${why}`);
  const events: WebhookEvent[] = [];
  let pos = peeked.end;
  try {
    for (;;) {
      const block = avroLong().decode(value, pos) as { value: number; offset: number };
      if (block.offset < 0) throw corrupt('events truncated');
      let count = block.value;
      pos = block.offset;
      if (count === 0) break;
      if (count < 0) {
        // A negative count is followed by the block's size in bytes (Avro spec).
        count = -count;
        const size = avroLong().decode(value, pos) as { value: number; offset: number };
        if (size.offset < 0) throw corrupt('events truncated');
        pos = size.offset;
      }
      if (count > (value.length - pos) / MIN_EVENT_BYTES) throw corrupt(`a block of ${count} events cannot fit in the ${value.length - pos} bytes left`);
      for (let i = 0; i < count; i++) {
        const item = eventType().decode(value, pos) as { value: WebhookEvent; offset: number };
        if (item.offset < 0) throw corrupt('events truncated');
        events.push(item.value);
        pos = item.offset;
      }
    }
    const tail = deliveryTailType().decode(value, pos) as { value: Pick<WebhookDeliveryRecord, 'first_failure_ms' | 'last_error' | 'replay'>; offset: number };
    if (tail.offset !== value.length) throw corrupt(tail.offset < 0 ? 'body truncated' : `${value.length - tail.offset} trailing byte(s) after the body`);
    const { first_failure_ms, last_error, replay } = tail.value;
    return { ...peeked.head, events, first_failure_ms, last_error, replay };
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw corrupt(`malformed body: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Header names of dead-letter records; values are UTF-8 strings. */
export const DLQ_HEADERS = {
  kind: 'hookstream-kind', // 'delivery' (value is a WebhookDelivery) or 'event' (value is the original record's bytes)
  originalTopic: 'hookstream-original-topic',
  originalPartition: 'hookstream-original-partition',
  originalOffset: 'hookstream-original-offset',
  reason: 'hookstream-reason',
  error: 'hookstream-error',
  attempts: 'hookstream-attempts',
  failedAt: 'hookstream-failed-at',
  appId: 'hookstream-app-id',
  webhookId: 'hookstream-webhook-id',
} as const;
