/**
 * The event contract: one record of the events topic, as `schemas/webhook-event.avsc`
 * describes it. Optional fields are `null` when absent (Avro unions), never `undefined`.
 */
export const KNOWN_EVENT_NAMES = [
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'client_event',
  'subscription_count',
  'cache_miss',
  'connection_established',
  'connection_terminated',
] as const;

export type KnownEventName = (typeof KNOWN_EVENT_NAMES)[number];

export interface WebhookEvent {
  /** Unique per event, assigned by the producer (a UUID); receivers de-duplicate on it. */
  id: string;
  app_id: string;
  /** One of KNOWN_EVENT_NAMES, or any other name, which passes to webhooks that list it. */
  name: string;
  channel: string | null;
  event: string | null;
  data: string | null;
  socket_id: string | null;
  user_id: string | null;
  subscription_count: number | null;
  /** Milliseconds since the epoch when the socket server saw it happen. */
  time_ms: number;
  /** The socket-server node that emitted it. */
  node_id: string | null;
}

/**
 * An Avro schema as JSON (`.avsc`): a type name, a union (array), or a type object. Only the
 * attributes that parsing and the Parsing Canonical Form look at are spelled out; `doc`,
 * `default`, `logicalType` and friends pass through the index signature.
 */
export type AvroSchema = string | AvroSchema[] | AvroSchemaObject;

export interface AvroSchemaObject {
  type: AvroSchema;
  name?: string;
  namespace?: string;
  fields?: AvroField[];
  symbols?: string[];
  items?: AvroSchema;
  values?: AvroSchema;
  /** The spec allows a quoted integer here; the canonical form writes it unquoted. */
  size?: number | string;
  [attribute: string]: unknown;
}

export interface AvroField {
  name: string;
  type: AvroSchema;
  default?: unknown;
  [attribute: string]: unknown;
}
